#!/usr/bin/env bash
# Fuzzes every reader of untrusted input with libFuzzer (AddressSanitizer, bounds checks on):
# shards, manifests, safetensors, model and run configs, trainer state, tokenizer files, msgpack,
# Parquet. Seeds come from the reference fixtures and a small synthetic dataset. Fails on any
# crash, hang (-timeout), leak or out-of-memory; the failing input is kept in $FUZZ_OUT/artifacts.
# Then replays Tests/fuzz/regressions/<target>/* (inputs that once failed) through each target.
# Usage: Tests/fuzz/run.sh [seconds per target] [target ...]   (default 30 s, every target)
# FUZZ_PARALLEL=1 runs the targets at the same time instead of one after the other.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-30}"
shift || true
fixtures="$(pwd)/../shared/fixtures"
out="${FUZZ_OUT:-/tmp/dalle-train-fuzz}"
rm -rf "$out"
mkdir -p "$out/artifacts"

echo "fuzz: building the targets with -sanitize=fuzzer,address"
swift build --scratch-path .build-fuzz --product dalle-train-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING >"$out/build.log" 2>&1 \
    || { tail -30 "$out/build.log" >&2; exit 1; }
fuzzer=.build-fuzz/debug/dalle-train-fuzz
[[ -x .build/release/dalle-train ]] || swift build -c release --product dalle-train

seed() {  # seed TARGET FILE...: copies files into the target's seed corpus
    local target="$1"
    shift
    mkdir -p "$out/seeds/$target"
    local file
    for file in "$@"; do cp "$file" "$out/seeds/$target/$(echo "$file" | tr '/' '_')"; done
}
.build/release/dalle-train synth --output "$out/dataset" --records 40 --records-per-shard 20 >/dev/null
seed shard "$out"/dataset/*.dtshard
seed manifest "$out/dataset/manifest.json"
seed safetensors "$fixtures"/dallebart/tiny-A2/batch.safetensors "$fixtures"/dallebart/tiny-A2/logits.safetensors
seed model-config "$fixtures"/dalle-mini-models/*/config.json
mkdir -p "$out/seeds/run-config" "$out/seeds/trainer-state" "$out/seeds/tokenizer"
echo '{"model": "tiny", "learning_rate": 0.001, "lr_decay": "exponential", "lr_transition_steps": 10, "lr_decay_rate": 0.5, "max_steps": null}' \
    >"$out/seeds/run-config/a.json"
.build/release/dalle-train train --max-steps 2 --output-dir "$out/run" --save-steps 1 --log-interval 1 >/dev/null 2>&1 || true
cp "$out"/run/checkpoints/step-*/trainer_state.json "$out/seeds/trainer-state/" 2>/dev/null || echo '{}' >"$out/seeds/trainer-state/empty.json"
cp "$out/run/resolved_config.json" "$out/seeds/run-config/resolved.json" 2>/dev/null || true
{ printf '\x00'; head -c 4000 "$fixtures/tokenizer/bytebpe-512/vocab.json"; } >"$out/seeds/tokenizer/vocab"
{ printf '\x01'; head -c 4000 "$fixtures/tokenizer/bytebpe-512/merges.txt"; } >"$out/seeds/tokenizer/merges"
seed msgpack "$fixtures"/dalle-mini-models/tiny-A2-scan/flax_model.msgpack
seed parquet "$fixtures"/parquet/zstd.parquet "$fixtures"/parquet/page_v2.parquet "$fixtures"/parquet/plain_nodict.parquet

targets=("$@")
((${#targets[@]} > 0)) || targets=(shard manifest safetensors model-config run-config trainer-state tokenizer msgpack parquet)
export FUZZ_TOKENIZER="$fixtures/tokenizer/bytebpe-512"
# Leaks inside the platform libraries are listed (and explained) in lsan.supp; ours still fail.
export LSAN_OPTIONS="suppressions=$(pwd)/Tests/fuzz/lsan.supp:print_suppressions=0"
# fuzz_one TARGET: runs one target for $seconds; prints its figures or its failure.
fuzz_one() {
    local target="$1" started
    mkdir -p "$out/corpus/$target"
    echo "fuzz: $target for ${seconds}s"
    started=$(date +%s)
    if ! FUZZ_TARGET="$target" "$fuzzer" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
        -max_len=1048576 -print_final_stats=1 -artifact_prefix="$out/artifacts/$target-" \
        "$out/corpus/$target" "$out/seeds/$target" >"$out/$target.log" 2>&1; then
        tail -40 "$out/$target.log" >&2
        echo "fuzz: $target FAILED; the input is in $out/artifacts (add it to Tests/fuzz/regressions/$target)" >&2
        return 1
    fi
    local runs coverage
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$target.log" | grep -o '[0-9]*$' || echo "?")
    coverage=$(grep -o 'cov: [0-9]*' "$out/$target.log" | tail -1 | grep -o '[0-9]*' || echo "?")
    echo "fuzz: $target ok: $runs executions, coverage $coverage edges, corpus $(ls "$out/corpus/$target" | wc -l)" \
        "inputs, $(($(date +%s) - started)) s"
}

# FUZZ_PARALLEL=1 runs every target at once (each still for $seconds of wall-clock time).
if [[ "${FUZZ_PARALLEL:-0}" == 1 ]]; then
    pids=()
    for target in "${targets[@]}"; do
        fuzz_one "$target" &
        pids+=($!)
    done
    failed=0
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    ((failed == 0)) || exit 1
else
    for target in "${targets[@]}"; do fuzz_one "$target" || exit 1; done
fi

for directory in Tests/fuzz/regressions/*/; do
    [[ -d "$directory" ]] || continue
    target=$(basename "$directory")
    FUZZ_TARGET="$target" "$fuzzer" -runs=0 "$directory" >"$out/regressions-$target.log" 2>&1 \
        || { tail -20 "$out/regressions-$target.log" >&2; echo "fuzz: regression input of $target crashes" >&2; exit 1; }
    echo "fuzz: regressions of $target replayed"
done
