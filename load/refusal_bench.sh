#!/bin/bash
# Refusal path vs a bare endpoint of the same binary, with wrk, alternating, three rounds (BENCHMARKS.md section 1).
# usage: load/refusal_bench.sh <label> [ENV=value...]   e.g. load/refusal_bench.sh raised RateLimits__PerIp__PermitsPerSecond=10000000 ...
# Publishes Release to /tmp/seckill-rel, starts it on 127.0.0.1:5005, sells out a 1-unit sale, then wrk -t2 -c64 -d${BENCH_SECONDS:-8}s.
set -e
repo=$(cd "$(dirname "$0")/.." && pwd)
dotnet publish "$repo/Seckill.Web" -c Release -o /tmp/seckill-rel -v q >/dev/null
label=$1; shift
rm -rf /tmp/bench-data; 
env "$@" Storage__SqlitePath=/tmp/bench-data/s.db ASPNETCORE_URLS=http://127.0.0.1:5005 Logging__LogLevel__Default=Warning dotnet /tmp/seckill-rel/Seckill.Web.dll > /tmp/bench-$label.log 2>&1 &
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
for round in 1 2 3; do
  echo "[$label round $round] bare /health/live: $(wrk -t2 -c64 -d${BENCH_SECONDS:-8}s --latency http://127.0.0.1:5005/health/live | grep -E 'Requests/sec|  50%|  99%' | tr -s ' ' | tr '\n' ' ')"
  echo "[$label round $round] purchase refusal: $(wrk -t2 -c64 -d${BENCH_SECONDS:-8}s --latency -s /tmp/purchase.lua http://127.0.0.1:5005/api/sales/$SID/purchase | grep -E 'Requests/sec|  50%|  99%|Non-2xx' | tr -s ' ' | tr '\n' ' ')"
done
curl -s -H "Authorization: Bearer $(cd "$repo/load" && python3 -c 'from seckill_http import token; print(token(1,True))')" 127.0.0.1:5005/api/admin/metrics; echo
kill $pid; wait $pid 2>/dev/null || true
