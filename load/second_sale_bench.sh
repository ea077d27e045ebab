#!/bin/bash
# The flash sale N times (default 2) against ONE instance, to compare a sale on a fresh instance
# with a sale on a warm one (BENCHMARKS.md section 11). Reports in /tmp/second-sale-<k>.
# usage: [N=2] [RATE=6000] [TOOL_ARGS="--connections 2"] [SECKILL_BUILD=<published folder>] load/second_sale_bench.sh [ENV=value...]
set -e
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/load/bench_build.sh"
dotnet build "$repo/load/Seckill.Load" -c Release -v q >/dev/null
if curl -s -o /dev/null 127.0.0.1:5005/health/live; then echo "something already answers on 127.0.0.1:5005: stop it first" >&2; exit 1; fi
rm -rf /tmp/bench-data
env RateLimits__PerIp__PermitsPerSecond=10000000 RateLimits__PerIp__Burst=10000000 "$@" \
    Storage__SqlitePath=/tmp/bench-data/s.db ASPNETCORE_URLS=http://127.0.0.1:5005 Logging__LogLevel__Default=Warning \
    dotnet "$build/Seckill.Web.dll" > /tmp/bench-second-sale.log 2>&1 &
pid=$!
for i in $(seq 1 60); do curl -sf 127.0.0.1:5005/health/ready >/dev/null && break; sleep 0.5; done
for k in $(seq 1 "${N:-2}"); do
  dotnet "$repo/load/Seckill.Load/bin/Release/net10.0/Seckill.Load.dll" --url http://127.0.0.1:5005 --scenario flash-sale \
      --rate "${RATE:-6000}" --users 200000 --stock 10000 --pay-share 0 --warmup 5s --max-p99 50 --out "/tmp/second-sale-$k" ${TOOL_ARGS:-} \
      2>/dev/null | grep -E '^[|] purchase [|] latency' | sed "s/^/sale $k: /" || true
done
kill $pid; wait $pid 2>/dev/null || true
check_log /tmp/bench-second-sale.log || true
