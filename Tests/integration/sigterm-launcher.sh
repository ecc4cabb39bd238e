#!/usr/bin/env bash
# SIGTERM to the launcher (deploy/local/run.sh, what kill, timeout and container stops send) on a
# 2-rank run: rank 0 writes a checkpoint, the job exits 75, and the resumed run ends with the
# parameters of an uninterrupted run, bit for bit. A second job on the same output directory is
# refused while the first runs, naming it.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/mpi-env.sh
binary="$(pwd)/.build/release/dalle-train"
tokenizer="$(pwd)/../shared/fixtures/tokenizer/bytebpe-512"
work=$(mktemp -d /tmp/dalle-train-sigterm.XXXXXX)
job=""
cleanup() {
    [[ -n "$job" ]] && kill -9 "$job" 2>/dev/null || true
    pkill -9 -f "$binary train --model $work/model.json" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "sigterm-launcher: FAILED: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -15 "$f" >&2; done; exit 1; }

cp Tests/integration/small-model.json "$work/model.json"  # the model of Tests/TestSupport/SmallRun.swift
# The interrupted job runs until the signal; the schedule (no decay) does not depend on
# --max-steps, so the reference run and the resumed one stop at the signal's step + 50.
train() {  # train OUTPUT LOG [flags]: deploy/local/run.sh 2 in the background, sets $job
    local output="$1" log="$2"
    shift 2
    DALLE_TRAIN_PROGRESS=lines deploy/local/run.sh 2 train --model "$work/model.json" --tokenizer "$tokenizer" \
        --output-dir "$output" --batch-size 4 --log-interval 10 --save-steps 100000 --seed 3 "$@" \
        >"$work/$log" 2>&1 &
    job=$!
}
finish() {  # waits for $job (at most 300 s), sets $status
    status=0
    for _ in $(seq 1 3000); do kill -0 "$job" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$job" 2>/dev/null && fail "the job did not exit within 300 s"
    wait "$job" || status=$?
    job=""
}
final_model() { zstd -dc "$1/checkpoints/$(cat "$1/checkpoints/latest")/model.safetensors.zst"; }

train "$work/pieces" first.log --max-steps 1000000
for _ in $(seq 1 600); do
    [[ -f "$work/pieces/metrics.jsonl" ]] && (($(wc -l <"$work/pieces/metrics.jsonl") >= 2)) && break
    kill -0 "$job" 2>/dev/null || fail "the run ended early"
    sleep 0.1
done
first=$job
# A second job on the same directory is refused at once and names the first.
if DALLE_TRAIN_PROGRESS=lines timeout 120 deploy/local/run.sh 2 train --model "$work/model.json" \
    --tokenizer "$tokenizer" --output-dir "$work/pieces" --max-steps 10 >"$work/second.log" 2>&1; then
    fail "a second job on the same output directory was accepted"
fi
grep -q "is in use by another job (pid .* on host" "$work/second.log" || fail "the refusal does not name the holder"
kill -0 "$first" 2>/dev/null || fail "the first job died when the second was refused"
kill -TERM "$first"
finish
((status == 75)) || fail "exit status $status after SIGTERM to the launcher, expected 75"
grep -q "stop signal" "$work/first.log" || fail "no stop message"
[[ "$(tail -1 "$work/first.log")" == "dalle-train: stopped by a signal after writing a checkpoint"* ]] \
    || fail "the launcher's summary is not the last line"
latest=$(cat "$work/pieces/checkpoints/latest")
steps=$((10#${latest#step-} + 50))
"$binary" inspect "$work/pieces/checkpoints/$latest" >/dev/null || fail "the signal checkpoint does not verify"
echo "sigterm-launcher: SIGTERM -> checkpoint $latest, exit 75; second job refused"

train "$work/pieces" resume.log --max-steps $steps --resume auto
finish
((status == 0)) || fail "the resumed run exited $status"
train "$work/whole" whole.log --max-steps $steps
finish
((status == 0)) || fail "the uninterrupted run exited $status"
cmp -s <(final_model "$work/whole") <(final_model "$work/pieces") || fail "resumed parameters differ"
python3 - "$work/pieces/metrics.jsonl" <<'PY' || fail "metrics.jsonl repeats or skips steps"
import json, sys
steps = [json.loads(line)["step"] for line in open(sys.argv[1])]
assert steps == sorted(set(steps)), steps
PY
echo "sigterm-launcher: ok (resumed run equals the uninterrupted one bit for bit)"
