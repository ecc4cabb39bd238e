#!/usr/bin/env bash
# kill -9 of rank 0 while it writes a checkpoint (the `tiny` model: ~0.7 s per write) leaves the
# previous checkpoints complete and verifiable, and `--resume auto` continues from the newest one;
# the interrupted write's temporary directory is removed by the next checkpoint.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/mpi-env.sh
binary="$(pwd)/.build/release/dalle-train"
work=$(mktemp -d /tmp/dalle-train-crash.XXXXXX)
out="$work/run"
job=""
cleanup() {
    [[ -n "$job" ]] && kill -9 "$job" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "checkpoint-crash: FAILED: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -15 "$f" >&2; done; exit 1; }
flags=(--model tiny --output-dir "$out" --batch-size 1 --save-steps 1 --keep-last 2 --log-interval 1 --seed 3)

mpirun -np 2 "$binary" train "${flags[@]}" --max-steps 1000 >"$work/crash.log" 2>&1 &
job=$!
rank0=""
for _ in $(seq 1 600); do  # the first checkpoint complete, then rank 0's pid
    kill -0 "$job" 2>/dev/null || fail "the run ended early"
    if [[ -f "$out/checkpoints/latest" ]]; then
        for pid in $(pgrep -f "$binary train --model tiny --output-dir $out" || true); do
            tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=0" && rank0=$pid
        done
        break
    fi
    sleep 0.1
done
[[ -n "$rank0" ]] || fail "no complete first checkpoint or no rank 0 within 60 s"
killed=""
for _ in $(seq 1 6000); do  # the next write in progress: kill rank 0 in the middle of it
    if compgen -G "$out/checkpoints/.step-*.tmp-*" >/dev/null; then
        sleep 0.1
        kill -9 "$rank0"
        killed=$(basename "$(compgen -G "$out/checkpoints/.step-*.tmp-*" | head -1)")
        break
    fi
    kill -0 "$job" 2>/dev/null || fail "the run ended before a second checkpoint write"
    sleep 0.005
done
[[ -n "$killed" ]] || fail "no checkpoint write seen within 30 s"
for _ in $(seq 1 300); do kill -0 "$job" 2>/dev/null || break; sleep 0.1; done
kill -0 "$job" 2>/dev/null && fail "mpirun still running 30 s after rank 0 was killed"
status=0
wait "$job" || status=$?
job=""
((status != 0)) || fail "mpirun exited 0 after rank 0 was killed"
[[ -d "$out/checkpoints/$killed" ]] || fail "the interrupted write $killed was not left behind as a temporary directory"
for directory in "$out"/checkpoints/step-*; do
    "$binary" inspect "$directory" >/dev/null 2>&1 || fail "$(basename "$directory") does not verify after the crash"
done
newest=$(basename "$(ls -d "$out"/checkpoints/step-* | tail -1)")
step=$((10#${newest#step-}))
echo "checkpoint-crash: rank 0 killed during $killed; $newest complete (status $status)"

mpirun -np 2 "$binary" train "${flags[@]}" --max-steps $((step + 1)) --resume auto >"$work/resume.log" 2>&1 &
job=$!
for _ in $(seq 1 900); do kill -0 "$job" 2>/dev/null || break; sleep 0.1; done
kill -0 "$job" 2>/dev/null && fail "the resumed run did not finish within 90 s"
status=0
wait "$job" || status=$?
job=""
((status == 0)) || fail "the resumed run exited $status"
grep -q "resuming from $out/checkpoints/$newest at step $step" "$work/resume.log" || fail "did not resume from $newest"
compgen -G "$out/checkpoints/.step-*" >/dev/null && fail "temporary directories left after the next checkpoint"
"$binary" inspect "$out" >/dev/null 2>&1 || fail "the checkpoint after resuming does not verify"
echo "checkpoint-crash: ok (resumed at step $step)"
