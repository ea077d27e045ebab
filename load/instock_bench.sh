#!/bin/bash
# In-stock reservation path vs the bare endpoint of the same binary, with wrk, alternating, 3 rounds.
# Every purchase is a new user of a sale with more stock than the run can sell, so each request
# takes the whole path: reservation, hand-off to the writer, commit wait (201) or 202.
# usage: load/instock_bench.sh <label> [ENV=value...]
#   embedded:  load/instock_bench.sh embedded
#   clustered: load/instock_bench.sh clustered ConnectionStrings__Mysql='Server=127.0.0.1;Database=seckill_bench;User Id=seckill;Password=seckill;SslMode=None' \
#                  Redis__Shard=127.0.0.1:6380 Redis__Pool=127.0.0.1:6381 Seckill__InstanceId=1
# Publishes Release (or runs $SECKILL_BUILD, see bench_build.sh) and starts it on 127.0.0.1:5005 with the per-address and
# per-user limits raised (wrk is one address; nginx does per-address limiting in production).
set -e
repo=$(cd "$(dirname "$0")/.." && pwd)
seconds=${BENCH_SECONDS:-8}
. "$repo/load/bench_build.sh"
label=$1; shift
if curl -s -o /dev/null 127.0.0.1:5005/health/live; then echo "something already answers on 127.0.0.1:5005: stop it first" >&2; exit 1; fi
rm -rf /tmp/bench-data
env RateLimits__PerIp__PermitsPerSecond=10000000 RateLimits__PerIp__Burst=10000000 RateLimits__PerUser__PermitsPerMinute=10000000 "$@" \
    Storage__SqlitePath=/tmp/bench-data/s.db ASPNETCORE_URLS=http://127.0.0.1:5005 Logging__LogLevel__Default=Warning \
    dotnet "$build/Seckill.Web.dll" > /tmp/bench-$label.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for i in $(seq 1 60); do curl -sf 127.0.0.1:5005/health/ready >/dev/null && break; sleep 0.5; done
cd "$repo/load"
# One token per purchase: 3 rounds at up to ~25k/s for $seconds s each.
users=$((3 * 25000 * seconds))
SECKILL_PORT=5005 python3 - "$users" <<'PY'
import sys
from seckill_http import token, create_sale
n = int(sys.argv[1])
sid = create_sale(token(1, True), 5_000_000)
with open("/tmp/instock-tokens.lua", "w") as f:
    f.write("return {\n")
    for u in range(10, 10 + n):
        f.write('"%s",\n' % token(u))
    f.write("}\n")
open("/tmp/instock-sale", "w").write(str(sid))
PY
SID=$(cat /tmp/instock-sale)
cat > /tmp/instock.lua <<LUA
-- Each wrk thread walks its own stride of the token list, so no user buys twice.
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function init(args)
  tokens = dofile("/tmp/instock-tokens.lua")
  round = tonumber(os.getenv("ROUND"))
  step = 2
  slice = math.floor(#tokens / 3)
  idx = (round - 1) * slice + tid + 1
end
function request()
  local t = tokens[idx]
  idx = idx + step
  return wrk.format("POST", "/api/sales/$SID/purchase",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. t, ["User-Agent"] = "Mozilla/5.0 (bench)"}, '{"quantity":1}')
end
LUA
wrk -t2 -c64 -d3s http://127.0.0.1:5005/health/live >/dev/null
for round in 1 2 3; do
  echo "[$label round $round] bare /health/live: $(wrk -t2 -c64 -d${seconds}s --latency http://127.0.0.1:5005/health/live | grep -E 'Requests/sec|  50%|  99%' | tr -s ' ' | tr '\n' ' ')"
  echo "[$label round $round] in-stock purchase: $(ROUND=$round wrk -t2 -c64 -d${seconds}s --latency -s /tmp/instock.lua http://127.0.0.1:5005/api/sales/$SID/purchase | grep -E 'Requests/sec|  50%|  99%|Non-2xx' | tr -s ' ' | tr '\n' ' ')"
done
admin=$(python3 -c 'from seckill_http import token; print(token(1,True))')
curl -s -H "Authorization: Bearer $admin" 127.0.0.1:5005/api/admin/metrics; echo
curl -s -H "Authorization: Bearer $admin" 127.0.0.1:5005/api/admin/sales/$SID/stock; echo
check_log /tmp/bench-$label.log
