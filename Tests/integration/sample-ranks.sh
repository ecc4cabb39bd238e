#!/usr/bin/env bash
# `dalle-train sample` gives the same samples (codes, PNGs, samples.jsonl) on 1 and 2 ranks for
# the same seed, with top-k sampling, super-conditioning and several batches per rank; and bad
# settings are refused before any work; the --benchmark line has the fields that
# deploy/bench/compare-sampling.sh reads.
set -euo pipefail
cd "$(dirname "$0")/../.."
binary=${DALLE_TRAIN_BINARY:-$PWD/.build/release/dalle-train}
model=../shared/fixtures/dalle-mini-models/tiny-A-scan
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'a red circle\n{"text": "ignored"}\na blue square on a green background\nthree\nfour\nfive\n' \
    >"$work/plain.txt"
arguments=(sample --model "$model" --prompts "$work/plain.txt" --images-per-prompt 2 --batch-size 3
    --top-k 50 --top-p 0.95 --temperature 1.2 --condition-scale 10 --seed 11)
mpirun --allow-run-as-root --oversubscribe -np 1 "$binary" "${arguments[@]}" --output "$work/one" >/dev/null
mpirun --allow-run-as-root --oversubscribe -np 2 "$binary" "${arguments[@]}" --output "$work/two" >/dev/null
test "$(wc -l <"$work/one/samples.jsonl")" -eq 12 || { echo "expected 12 samples"; exit 1; }
diff -r "$work/one" "$work/two" || { echo "1 and 2 ranks give different samples"; exit 1; }
for bad in "--top-k 0" "--top-p 1.5" "--condition-scale 0" "--temperature nan"; do
    # shellcheck disable=SC2086
    if "$binary" sample --model "$model" --prompt x $bad --output "$work/bad" 2>/dev/null; then
        echo "sample accepted $bad"; exit 1
    fi
done
test ! -e "$work/bad" || { echo "a refused run wrote output"; exit 1; }
# The benchmark line deploy/bench/compare-sampling.sh parses.
line=$("$binary" sample --model tiny --benchmark --batch-size 2 --rounds 1)
grep -qE '[0-9.]+ image tokens/s, [0-9.]+ s per image; CPU [0-9.]+ s per batch, [0-9.]+ image tokens per CPU second.*OpenBLAS core' \
    <<<"$line" || { echo "unexpected benchmark line: $line"; exit 1; }
echo "sample ranks: ok"
