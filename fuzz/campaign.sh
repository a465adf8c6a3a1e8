#!/bin/sh
# A campaign of the stable fuzzers: tests/fuzz_pipeline.rs (mutated programs through the whole
# pipeline) and tests/replay_props.rs (generated thread programs, record -> replay under every
# model), in release mode, with many cases, under a 2 GB address-space limit (as a learner's
# machine or a CI runner might impose), at low priority.
#
#   fuzz/campaign.sh                   # 20,000 pipeline cases, 2,000 replay cases
#   PIPELINE_CASES=100000 REPLAY_CASES=0 fuzz/campaign.sh
#
# A failure prints the shrunk input and proptest saves its seed in tests/*.proptest-regressions
# (commit it with the fix: `cargo test` then replays it first). Prints the cases run and the
# wall time of each part.
set -eu
cd "$(dirname "$0")/.."
pipeline=${PIPELINE_CASES:-20000}
replay=${REPLAY_CASES:-2000}
limit=""
if command -v prlimit >/dev/null 2>&1; then
    limit="prlimit --as=2000000000"
fi
nice cargo test --release --no-run --test fuzz_pipeline --test replay_props
run() {
    test=$1
    cases=$2
    [ "$cases" -gt 0 ] || return 0
    start=$(date +%s)
    PROPTEST_CASES=$cases $limit nice cargo test --release --test "$test" -- --test-threads 1
    echo "campaign: $test: $cases cases in $(( $(date +%s) - start )) s"
}
run fuzz_pipeline "$pipeline"
run replay_props "$replay"
