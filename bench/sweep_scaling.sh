#!/usr/bin/env bash
# How `gilvm sweep` scales across cores (DESIGN.md §9, issue 6): 1,000 seeds of the seed's
# counter at 10,000 iterations per thread, with --jobs 1 and --jobs 2 (best of $REPEAT each).
# Prints the wall times, the ratio, the CPU time and utilisation of each, and the load average.
# Goal: finishes in seconds; jobs 2 at least 1.7× faster than jobs 1 on an idle 2-CPU machine.
# On a busy machine the ratio measures the other load, not gilvm: the script says so when
# --jobs 2 did not get more than 1.5 CPUs. The CPU time staying the same for 1 and 2 jobs shows
# that the runs do not contend with each other.
#
# Usage: bench/sweep_scaling.sh [SEEDS] [REPEAT]      (defaults: 0..1000, 3)
# GILVM=path uses that binary instead of building one (cargo build --release).
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${1:-0..1000}
REPEAT=${2:-3}
PROGRAM=bench/counter_10k.toy
if [ -z "${GILVM:-}" ]; then
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
    cargo build --release --quiet
    GILVM="$CARGO_TARGET_DIR/release/gilvm"
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

best() { # prints "wall cpu" (seconds) of the fastest of REPEAT runs with --jobs $1
    local jobs=$1 best_wall= best_cpu= wall cpu
    for _ in $(seq "$REPEAT"); do
        /usr/bin/time -f "%e %U %S" -o "$TMP/time" \
            "$GILVM" sweep "$PROGRAM" --seeds "$SEEDS" --jobs "$jobs" > "$TMP/out.$jobs"
        read -r wall user sys < "$TMP/time"
        cpu=$(echo "$user + $sys" | bc -l)
        if [ -z "$best_wall" ] || [ "$(echo "$wall < $best_wall" | bc -l)" = 1 ]; then
            best_wall=$wall best_cpu=$cpu
        fi
    done
    echo "$best_wall $best_cpu"
}

echo "cpus: $(nproc) · load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
read -r w1 c1 < <(best 1)
read -r w2 c2 < <(best 2)
if ! cmp -s "$TMP/out.1" "$TMP/out.2"; then
    echo "FAIL: the report differs between --jobs 1 and --jobs 2" >&2
    exit 1
fi
printf 'sweep %s --seeds %s\n' "$PROGRAM" "$SEEDS"
printf '  jobs 1: %6.2f s wall, %6.2f s cpu (%3.0f%% of a CPU)\n' "$w1" "$c1" "$(echo "100 * $c1 / $w1" | bc -l)"
printf '  jobs 2: %6.2f s wall, %6.2f s cpu (%3.0f%% of a CPU)\n' "$w2" "$c2" "$(echo "100 * $c2 / $w2" | bc -l)"
printf '  speed-up %.2f× (goal ≥ 1.70×)\n' "$(echo "$w1 / $w2" | bc -l)"
if [ "$(echo "$c2 / $w2 < 1.5" | bc -l)" = 1 ]; then
    echo "  note: --jobs 2 got less than 1.5 CPUs — the machine is busy, so the ratio says little"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
