# Sourced by the bench scripts (needs $repo): the Seckill.Web build to run, in $build.
# SECKILL_BUILD=<folder of a published Seckill.Web> runs that build, to compare two builds in one
# run; otherwise this checkout is published into a fresh folder (publishing over an older build
# leaves its assemblies behind, and the mix fails at the first request).
if [ -n "${SECKILL_BUILD:-}" ]; then
    build=$SECKILL_BUILD
else
    build=$(mktemp -d /tmp/seckill-build-XXXXXX)
    dotnet publish "$repo/Seckill.Web" -c Release -o "$build" -v q >/dev/null
fi

# A run whose service logged failures measured errors, not the service: say so and fail.
check_log() {
    # Errors in either console format: simple ("fail:", "crit:") or Production's JSON lines.
    if grep -qE '^(fail|crit):|"LogLevel":"(Error|Critical)"' "$1"; then
        echo "the service logged failures (see $1): this run's figures are not valid" >&2
        return 1
    fi
}
