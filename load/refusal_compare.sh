#!/bin/bash
# Two or more builds of Seckill.Web side by side on one machine, for ratios that the machine's noise
# does not decide: all run at once (ports 5006..), and each round measures every build's bare
# endpoint and sold-out refusal one after the other (wrk -t2 -c64), with the CPU each spent per
# request read from /proc.
# usage: load/refusal_compare.sh <rounds> <seconds> <published build folder>...
#   e.g. dotnet publish Seckill.Web -c Release -o /tmp/build-new; load/refusal_compare.sh 8 4 /tmp/build-old /tmp/build-new

set -e
repo=$(cd "$(dirname "$0")/.." && pwd)
rounds=$1; secs=$2; shift 2
builds=("$@"); pids=(); sids=(); tokens=()
i=0
for b in "${builds[@]}"; do
  port=$((5006+i)); rm -rf /tmp/cmp-data-$i
  RateLimits__PerIp__PermitsPerSecond=10000000 RateLimits__PerIp__Burst=10000000 RateLimits__PerUser__PermitsPerMinute=10000000 \
  Storage__SqlitePath=/tmp/cmp-data-$i/s.db ASPNETCORE_URLS=http://127.0.0.1:$port Logging__LogLevel__Default=Error dotnet $b/Seckill.Web.dll > /tmp/cmp-$i.log 2>&1 &
  pids+=($!); i=$((i+1))
done
i=0
for b in "${builds[@]}"; do
  port=$((5006+i))
  for k in $(seq 1 60); do curl -s 127.0.0.1:$port/health/ready >/dev/null && break; sleep 0.5; done
  read SID BUYER <<<$(cd "$repo/load" && SECKILL_PORT=$port python3 -c "
from seckill_http import *
a=token(1,True); sid=create_sale(a,1)
st,b,_=req('POST',f'/api/sales/{sid}/purchase',{'quantity':1},token(2),source='127.3.0.1')
assert st==201,(st,b)
print(sid, token(3))")
  cat > /tmp/cmp-$i.lua <<LUA
wrk.method = "POST"
wrk.body = '{"quantity":1}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $BUYER"
wrk.headers["User-Agent"] = "Mozilla/5.0 (bench)"
LUA
  sids+=($SID)
  wrk -t2 -c64 -d2s http://127.0.0.1:$port/health/live >/dev/null; wrk -t2 -c64 -d2s -s /tmp/cmp-$i.lua http://127.0.0.1:$port/api/sales/$SID/purchase >/dev/null
  i=$((i+1))
done
for r in $(seq 1 $rounds); do
  i=0
  for b in "${builds[@]}"; do
    port=$((5006+i)); pid=${pids[$i]}
    c0=$(awk '{print $14+$15}' /proc/$pid/stat); o=$(wrk -t2 -c64 -d${secs}s http://127.0.0.1:$port/health/live); c1=$(awk '{print $14+$15}' /proc/$pid/stat)
    n1=$(echo "$o" | awk '/requests in/ {print $1}'); r1=$(echo "$o" | awk '/Requests\/sec/ {print $2}')
    c2=$(awk '{print $14+$15}' /proc/$pid/stat); o=$(wrk -t2 -c64 -d${secs}s -s /tmp/cmp-$i.lua http://127.0.0.1:$port/api/sales/${sids[$i]}/purchase); c3=$(awk '{print $14+$15}' /proc/$pid/stat)
    n2=$(echo "$o" | awk '/requests in/ {print $1}'); r2=$(echo "$o" | awk '/Requests\/sec/ {print $2}')
    python3 -c "print(f'$(basename $b) round $r: bare {$r1:8.0f}/s {($c1-$c0)*1e4/$n1:5.1f}us  refusal {$r2:8.0f}/s {($c3-$c2)*1e4/$n2:5.1f}us  ratio {$r2/$r1:.2f}  cpu-ratio {(($c1-$c0)/$n1)/(($c3-$c2)/$n2):.2f}')"
    i=$((i+1))
  done
done
for p in "${pids[@]}"; do kill $p; done
i=0
for b in "${builds[@]}"; do echo "$b: $(grep -c '^fail' /tmp/cmp-$i.log || true) failures logged"; i=$((i+1)); done
