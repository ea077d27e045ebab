#!/bin/bash
# Refusal path vs a bare endpoint of the same binary, with wrk, alternating, in rounds (BENCHMARKS.md section 1).
# usage: load/refusal_bench.sh <label> [ENV=value...]   e.g. load/refusal_bench.sh raised RateLimits__PerIp__PermitsPerSecond=10000000 ...
# Publishes Release (or runs $SECKILL_BUILD, see bench_build.sh), starts it on 127.0.0.1:5005, sells out a 1-unit sale, then wrk -t2 -c64 -d${BENCH_SECONDS:-8}s,
# ${ROUNDS:-3} rounds, each bare then refusal; prints each round's ratio and their median.
set -e
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/load/bench_build.sh"
label=$1; shift
if curl -s -o /dev/null 127.0.0.1:5005/health/live; then echo "something already answers on 127.0.0.1:5005: stop it first" >&2; exit 1; fi
rm -rf /tmp/bench-data; 
env "$@" Storage__SqlitePath=/tmp/bench-data/s.db ASPNETCORE_URLS=http://127.0.0.1:5005 Logging__LogLevel__Default=Warning dotnet "$build/Seckill.Web.dll" > /tmp/bench-$label.log 2>&1 &
pid=$!
for i in $(seq 1 60); do curl -s 127.0.0.1:5005/health/ready >/dev/null && break; sleep 0.5; done
cd "$repo/load"
read SID BUYER <<<$(SECKILL_PORT=5005 python3 -c "
from seckill_http import *
a=token(1,True); sid=create_sale(a,1)
st,b,_=req('POST',f'/api/sales/{sid}/purchase',{'quantity':1},token(2),source='127.3.0.1')
assert st==201,(st,b)
print(sid, token(3))")
cat > /tmp/purchase.lua <<LUA
wrk.method = "POST"
wrk.body = '{"quantity":1}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $BUYER"
wrk.headers["User-Agent"] = "Mozilla/5.0 (bench)"
LUA
curl -s -X POST -A 'Mozilla/5.0' -H "Authorization: Bearer $BUYER" -H 'Content-Type: application/json' -d '{"quantity":1}' 127.0.0.1:5005/api/sales/$SID/purchase; echo
wrk -t2 -c64 -d3s http://127.0.0.1:5005/health/live >/dev/null
ratios=()
for round in $(seq 1 ${ROUNDS:-3}); do
  bare=$(wrk -t2 -c64 -d${BENCH_SECONDS:-8}s --latency http://127.0.0.1:5005/health/live | grep -E 'Requests/sec|  50%|  99%' | tr -s ' ' | tr '\n' ' ')
  refusal=$(wrk -t2 -c64 -d${BENCH_SECONDS:-8}s --latency -s /tmp/purchase.lua http://127.0.0.1:5005/api/sales/$SID/purchase | grep -E 'Requests/sec|  50%|  99%|Non-2xx' | tr -s ' ' | tr '\n' ' ')
  ratio=$(python3 -c "import sys; print(f'{float(sys.argv[2]) / float(sys.argv[1]):.2f}')" "${bare##*Requests/sec: }" "${refusal##*Requests/sec: }")
  ratios+=("$ratio")
  echo "[$label round $round] bare /health/live: $bare"
  echo "[$label round $round] purchase refusal: $refusal"
  echo "[$label round $round] ratio $ratio"
done
echo "[$label] ratios ${ratios[*]}; median $(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')"
curl -s -H "Authorization: Bearer $(cd "$repo/load" && python3 -c 'from seckill_http import token; print(token(1,True))')" 127.0.0.1:5005/api/admin/metrics; echo
kill $pid; wait $pid 2>/dev/null || true
check_log /tmp/bench-$label.log
