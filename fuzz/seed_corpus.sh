#!/bin/sh
# Seeds the corpus of the `pipeline` fuzz target (fuzz/corpus/pipeline, not committed) with
# every shipped and test program, once per GIL model: the target reads a model, a seed and a
# step limit from an input's first three bytes, then the program text.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/fuzz/corpus/pipeline"
mkdir -p "$out"
n=0
for f in "$root"/programs/*.toy "$root"/tests/py/*.toy; do
    name=$(basename "$f" .toy)
    for model in 0 1 2 3 4; do
        # model, seed 7, step byte 200 (4,500 instructions), then the program.
        { printf "\\$(printf '%03o' "$model")\\007\\310"; cat "$f"; } > "$out/$name-$model"
        n=$((n + 1))
    done
done
echo "seeded $out with $n inputs"
