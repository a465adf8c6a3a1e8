#!/usr/bin/env bash
# How `gilvm sweep` scales across cores (DESIGN.md §9, issue 6): 1,000 seeds of the seed's
# counter at 10,000 iterations per thread, with --jobs 1 and --jobs 2 (best of $REPEAT each).
# Prints the wall times, the ratio, and the load average — on a busy machine the ratio means
# little, so run it on an idle one. Goal: finishes in seconds; jobs 2 at least 1.7× faster.
#
# Usage: bench/sweep_scaling.sh [SEEDS] [REPEAT]      (defaults: 0..1000, 3)
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${1:-0..1000}
REPEAT=${2:-3}
PROGRAM=bench/counter_10k.toy
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/target}
cargo build --release --quiet
GILVM="$CARGO_TARGET_DIR/release/gilvm"

best() { # best wall time in seconds of REPEAT runs of: gilvm sweep ... --jobs $1
    local jobs=$1 best= t0 t1 t
    for _ in $(seq "$REPEAT"); do
        t0=$(date +%s.%N)
        "$GILVM" sweep "$PROGRAM" --seeds "$SEEDS" --jobs "$jobs" > "/tmp/sweep_scaling.$jobs.out"
        t1=$(date +%s.%N)
        t=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
    done
    echo "$best"
}

echo "cpus: $(nproc) · load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
t1=$(best 1)
t2=$(best 2)
if ! cmp -s /tmp/sweep_scaling.1.out /tmp/sweep_scaling.2.out; then
    echo "FAIL: the report differs between --jobs 1 and --jobs 2" >&2
    exit 1
fi
printf 'sweep %s --seeds %s: jobs 1 %.2f s · jobs 2 %.2f s · speed-up %.2f× (goal ≥ 1.70×)\n' \
    "$PROGRAM" "$SEEDS" "$t1" "$t2" "$(echo "$t1 / $t2" | bc -l)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
