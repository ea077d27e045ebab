#!/bin/bash
# The flash-sale scenario of BENCHMARKS.md: 10,000 units, 200,000 buyers, at each given rate,
# each against a fresh Release instance, with the load tool's reports in /tmp/flash-<label>-<rate>.
# usage: [PAY_SHARE=0.5] [SCENARIO=flash-sale] load/flash_bench.sh <label> "<rate> [<rate>...]" [ENV=value...]   (clustered: the env of instock_bench.sh)
# SCENARIO=bare sends the same requests to the do-nothing endpoint (the instance gets Ops__BareEndpoint=true): the ceiling.
# The per-address limit is raised: 200,000 buyers share the tool's 1,024 loopback addresses.
# WARM_SALE=1 first sells 1,000 units to 3,000 buyers on the same instance (not measured), so that the
# measured sale meets a process whose paths have all run before (clustered: BENCHMARKS.md section 21).
# SERVICE_CPUS=1 TOOL_CPUS=0 pin the instance and the tool to CPUs of their own (taskset -c), so
# that neither steals the other's core mid-run (BENCHMARKS.md section 13); unset, both share all.
# CPU_BUDGET=1 samples the CPU of the instance, the tool, MariaDB and Redis through the run and prints
# where it went: the sold-out seconds' cores and the sale's extra work per unit (load/cpu_budget.py).
set -e
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/load/bench_build.sh"
dotnet build "$repo/load/Seckill.Load" -c Release -v q >/dev/null
label=$1; rates=$2; shift 2
for rate in $rates; do
  if curl -s -o /dev/null 127.0.0.1:5005/health/live; then echo "something already answers on 127.0.0.1:5005: stop it first" >&2; exit 1; fi
  rm -rf /tmp/bench-data
  env RateLimits__PerIp__PermitsPerSecond=10000000 RateLimits__PerIp__Burst=10000000 Ops__BareEndpoint=true "$@" \
      Storage__SqlitePath=/tmp/bench-data/s.db ASPNETCORE_URLS=http://127.0.0.1:5005 Logging__LogLevel__Default=Warning \
      ${SERVICE_CPUS:+taskset -c $SERVICE_CPUS} dotnet "$build/Seckill.Web.dll" > /tmp/bench-$label.log 2>&1 &
  pid=$!
  if [ -n "${CPU_BUDGET:-}" ]; then python3 "$repo/load/cpu_budget.py" sample $pid "/tmp/flash-$label-$rate-cpu.tsv" & fi
  for i in $(seq 1 60); do curl -sf 127.0.0.1:5005/health/ready >/dev/null && break; sleep 0.5; done
  if [ -n "$WARM_SALE" ]; then
    # A small sale first on the same instance, paid by half its winners: every path of the sale warm (BENCHMARKS.md section 21).
    dotnet "$repo/load/Seckill.Load/bin/Release/net10.0/Seckill.Load.dll" --url http://127.0.0.1:5005 --scenario flash-sale \
        --rate 1000 --users 3000 --stock 1000 --pay-share 0.5 --warmup 1s --out "/tmp/flash-$label-$rate-warm" >/dev/null 2>&1 || true
  fi
  ${TOOL_CPUS:+taskset -c $TOOL_CPUS} dotnet "$repo/load/Seckill.Load/bin/Release/net10.0/Seckill.Load.dll" --url http://127.0.0.1:5005 --scenario "${SCENARIO:-flash-sale}" \
      --rate "$rate" --users 200000 --stock 10000 --pay-share "${PAY_SHARE:-0.5}" --warmup 5s --max-p99 50 --out "/tmp/flash-$label-$rate" \
      2>/dev/null | grep -E '^# |arrivals:|dispatch lag|^[|] purchase [|]|^- (PASS|FAIL)' || true
  kill $pid; wait $pid 2>/dev/null || true
  if [ -n "${CPU_BUDGET:-}" ]; then
    wait  # the sampler ends with the instance
    python3 "$repo/load/cpu_budget.py" report "/tmp/flash-$label-$rate-cpu.tsv" "/tmp/flash-$label-$rate/report.json" || true
  fi
  check_log /tmp/bench-$label.log || true
done
