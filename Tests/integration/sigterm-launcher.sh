#!/usr/bin/env bash
# SIGTERM to the launcher on a 2-rank run, both ways (what kill, timeout and container stops send):
# to deploy/local/run.sh, which exits 75, and straight to mpirun, whose teardown leaves the ranks
# OMPI_MCA_odls_base_sigkill_timeout seconds (deploy/mpi-env.sh) and which then exits 1 on its own.
# Either way rank 0 writes a checkpoint, and the resumed runs end with the parameters of an
# uninterrupted run, bit for bit. A second job on the same output directory is refused while the
# first runs, naming it.
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
launch() {  # launch LAUNCHER OUTPUT LOG [flags]: 2 ranks in the background, sets $job
    local launcher="$1" output="$2" log="$3"
    shift 3
    DALLE_TRAIN_PROGRESS=lines $launcher train --model "$work/model.json" --tokenizer "$tokenizer" \
        --output-dir "$output" --batch-size 4 --log-interval 10 --save-steps 100000 --seed 3 "$@" \
        >"$work/$log" 2>&1 &
    job=$!
}
train() { launch "deploy/local/run.sh 2" "$@"; }
direct() { launch "mpirun -np 2 $binary" "$@"; }
started() {  # started OUTPUT: waits until the job in the background has logged twice
    for _ in $(seq 1 600); do
        [[ -f "$1/metrics.jsonl" ]] && (($(wc -l <"$1/metrics.jsonl") >= 2)) && return
        kill -0 "$job" 2>/dev/null || fail "the run ended early"
        sleep 0.1
    done
    fail "no metrics within 60 s"
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
started "$work/pieces"
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
"$binary" inspect "$work/pieces/checkpoints/$latest" >/dev/null || fail "the signal checkpoint does not verify"
echo "sigterm-launcher: SIGTERM to run.sh -> checkpoint $latest, exit 75; second job refused"

# SIGTERM straight to mpirun: Open MPI tears the job down and exits 1, but the ranks checkpoint
# within its grace period, and no process outlives it.
direct "$work/direct" direct.log --max-steps 1000000
started "$work/direct"
start=$(date +%s)
kill -TERM "$job"
finish
elapsed=$(($(date +%s) - start))
((status == 1)) || fail "mpirun exited $status after SIGTERM, expected Open MPI's 1"
((elapsed <= 2 * OMPI_MCA_odls_base_sigkill_timeout + 5)) || fail "the teardown took ${elapsed} s"
[[ -f "$work/direct/checkpoints/latest" ]] || fail "no checkpoint after SIGTERM to mpirun"
direct_latest=$(cat "$work/direct/checkpoints/latest")
"$binary" inspect "$work/direct/checkpoints/$direct_latest" >/dev/null || fail "the mpirun-SIGTERM checkpoint does not verify"
sleep 0.5
pgrep -f "output-dir $work/direct" >/dev/null && fail "processes left behind after SIGTERM to mpirun"
echo "sigterm-launcher: SIGTERM to mpirun -> checkpoint $direct_latest in ${elapsed} s (grace ${OMPI_MCA_odls_base_sigkill_timeout} s)"

# Both resume to the same step as an uninterrupted run.
a=$((10#${latest#step-}))
b=$((10#${direct_latest#step-}))
steps=$(((a > b ? a : b) + 50))
train "$work/pieces" resume.log --max-steps $steps --resume auto
finish
((status == 0)) || fail "the resumed run exited $status"
direct "$work/direct" direct-resume.log --max-steps $steps --resume auto
finish
((status == 0)) || fail "the run resumed after SIGTERM to mpirun exited $status"
train "$work/whole" whole.log --max-steps $steps
finish
((status == 0)) || fail "the uninterrupted run exited $status"
cmp -s <(final_model "$work/whole") <(final_model "$work/pieces") || fail "resumed parameters differ (run.sh)"
cmp -s <(final_model "$work/whole") <(final_model "$work/direct") || fail "resumed parameters differ (mpirun)"
for output in pieces direct; do
    python3 - "$work/$output/metrics.jsonl" <<'PY' || fail "$output/metrics.jsonl repeats or skips steps"
import json, sys
steps = [json.loads(line)["step"] for line in open(sys.argv[1])]
assert steps == sorted(set(steps)), steps
PY
done
echo "sigterm-launcher: ok (both resumed runs equal the uninterrupted one bit for bit)"
