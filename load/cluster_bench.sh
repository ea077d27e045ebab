#!/bin/bash
# BENCHMARKS section 9: the flash sale against the cluster of deploy/cluster.sh, in three layouts —
# one instance direct, one instance behind Nginx, three instances behind Nginx — at each given rate,
# with each part's CPU over the run (pidstat; instances, shards added up). Each layout is a fresh cluster in
# /tmp/cluster-bench-<layout>; reports in /tmp/cluster-<layout>-<rate>.
# usage: load/cluster_bench.sh "<rate> [<rate>...]" [direct-1] [nginx-1] [nginx-3] ...
#   SECONDS_OF_ARRIVALS (default 20): buyers = rate × this; STOCK (default 3000) units per sale.
# Needs pidstat (apt-get install -y sysstat). The per-address limits of the service are raised,
# as in flash_bench.sh: the tool's buyers share 1,024 loopback addresses.
set -e
repo=$(cd "$(dirname "$0")/.." && pwd)
rates=$1; shift
layouts=${*:-direct-1 nginx-1 nginx-3}
seconds=${SECONDS_OF_ARRIVALS:-20}
stock=${STOCK:-3000}
command -v pidstat >/dev/null || { echo "pidstat is missing: apt-get install -y sysstat" >&2; exit 1; }
dotnet build "$repo/load/Seckill.Load" -c Release -v q >/dev/null
tool="$repo/load/Seckill.Load/bin/Release/net10.0/Seckill.Load.dll"

export SECKILL_CLUSTER_PORT=18080 SECKILL_INSTANCE_PORT=15000 SECKILL_REDIS_PORT=16390 SECKILL_MYSQL_PORT=13316
export RateLimits__PerIp__PermitsPerSecond=10000000 RateLimits__PerIp__Burst=10000000

# "pid part" lines for every process of the cluster in $1.
parts() {
    local state=$1 name pid
    for file in "$state"/run/*.pid; do
        name=$(basename "$file" .pid); pid=$(cat "$file")
        echo "$pid $name"
        # Nginx's work is done by its workers.
        [ "$name" = nginx ] && pgrep -P "$pid" | sed 's/$/ nginx/'
    done
}

for layout in $layouts; do
    instances=${layout#*-}
    export SECKILL_CLUSTER_DIR=/tmp/cluster-bench-$layout
    "$repo/deploy/cluster.sh" down >/dev/null 2>&1 || true
    rm -rf "$SECKILL_CLUSTER_DIR"
    "$repo/deploy/cluster.sh" up "$instances" > "/tmp/cluster-bench-$layout.up.log"
    if [ "${layout%-*}" = direct ]; then url=http://127.0.0.1:15001; else url=http://127.0.0.1:18080; fi
    # A first sale, not reported: fresh processes compile their hot paths during it (the tool's own
    # 5 s warm-up alone left the first measured run of a fresh three-instance cluster at p99 57–69 ms).
    dotnet "$tool" --url "$url" --scenario flash-sale --rate 1000 --users 10000 --stock 1000 --pay-share 0 --warmup 2s \
        --no-verify --signing-key "$(cat "$SECKILL_CLUSTER_DIR/signing-key")" --out "/tmp/cluster-$layout-warmup" >/dev/null 2>&1
    for rate in $rates; do
        echo "# $layout at $rate/s ($((rate * seconds)) buyers, $stock units), $url"
        pidstat -u -h 1 > "/tmp/cluster-$layout-$rate.pidstat" &
        sampler=$!
        dotnet "$tool" --url "$url" --scenario flash-sale --rate "$rate" --users $((rate * seconds)) --stock "$stock" \
            --pay-share 0 --warmup 5s --max-p99 50 --signing-key "$(cat "$SECKILL_CLUSTER_DIR/signing-key")" \
            --out "/tmp/cluster-$layout-$rate" 2>/dev/null | grep -E 'arrivals:|dispatch lag|^[|] purchase [|]|^- (PASS|FAIL)' || true
        kill "$sampler"; wait "$sampler" 2>/dev/null || true
        # Each part's CPU while buyers arrive (the seconds in which the load tool used ≥ 20 % of a
        # core), in core-milliseconds per 1,000 buyers: pidstat's %CPU of one core per second, summed
        # over those seconds, × 10 = core-ms; divided by the buyers that arrived in them.
        parts "$SECKILL_CLUSTER_DIR" | awk -v file="/tmp/cluster-$layout-$rate.pidstat" -v rate="$rate" '
            { part[$1] = $2 }
            END {
                while ((getline line < file) > 0) {
                    n = split(line, f, " ")
                    if (f[1] ~ /^#/ || n < 10) continue
                    p = (f[3] in part) ? part[f[3]] : (f[10] == "dotnet" ? "load-tool" : "")
                    if (p == "") continue
                    sub(/-[0-9]+$/, "", p)
                    cpu[f[1] SUBSEP p] += f[8]
                    if (p == "load-tool" && f[8] >= 20) busy[f[1]] = 1
                }
                for (key in cpu) { split(key, k, SUBSEP); if (k[1] in busy) total[k[2]] += cpu[key] }
                for (s in busy) seconds++
                printf "cpu over %d busy s (core-ms per 1,000 buyers):", seconds
                for (p in total) printf " %s %.0f;", p, total[p] * 10 / (rate * seconds) * 1000
                print ""
            }'
    done
    "$repo/deploy/cluster.sh" down >/dev/null
done
