#!/usr/bin/env bash
# Stop signals under mpirun -np 2: SIGUSR1 to one rank -> every rank stops at the next step
# boundary, rank 0 writes a checkpoint that verifies (`dalle-train inspect`), all exit 75, and
# `--resume auto` continues from it. A second signal exits at once (143) without damaging any
# checkpoint. `inspect` fails, naming the file, on a corrupt checkpoint.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/mpi-env.sh
binary="$(pwd)/.build/release/dalle-train"
tokenizer="$(pwd)/../shared/fixtures/tokenizer/bytebpe-512"
work=$(mktemp -d /tmp/dalle-train-signals.XXXXXX)
job=""
cleanup() {
    [[ -n "$job" ]] && kill -9 "$job" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "checkpoint-signals: FAILED: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done; exit 1; }

cp Tests/integration/small-model.json "$work/model.json"  # the model of Tests/TestSupport/SmallRun.swift
out="$work/run"
train() {  # train LOG [flags]: starts mpirun -np 2 in the background, sets $job
    local log="$1"
    shift
    mpirun -np 2 "$binary" train --model "$work/model.json" --tokenizer "$tokenizer" --output-dir "$out" \
        --batch-size 4 --log-interval 20 --save-steps 100000 --seed 5 "$@" >"$work/$log" 2>&1 &
    job=$!
}
rank_pid() {  # rank_pid R: the pid of rank R of the running job
    local pid
    for pid in $(pgrep -f "$binary train --model $work/model.json" || true); do
        if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1"; then
            echo "$pid"
            return 0
        fi
    done
    return 1
}
metrics_lines() { if [[ -f "$out/metrics.jsonl" ]]; then wc -l <"$out/metrics.jsonl"; else echo 0; fi; }
wait_for_logs() {  # wait_for_logs N: until metrics.jsonl has N lines (one per 20 steps)
    for _ in $(seq 1 300); do
        (($(metrics_lines) >= $1)) && return 0
        kill -0 "$job" 2>/dev/null || fail "the run ended before metrics line $1"
        sleep 0.1
    done
    fail "the run did not reach metrics line $1 within 30 s"
}
finish() {  # finish: waits for the job (at most 60 s) and sets $status to its exit status
    status=0
    for _ in $(seq 1 600); do kill -0 "$job" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$job" 2>/dev/null && fail "the job did not exit within 60 s"
    wait "$job" || status=$?
    job=""
}

# 1. SIGUSR1 to rank 1 only: the flag travels with the loss all-reduce, rank 0 checkpoints.
train first.log --max-steps 100000
wait_for_logs 2
pid=$(rank_pid 1) || fail "rank 1 not found"
kill -USR1 "$pid"
finish
((status == 75)) || fail "exit status $status after SIGUSR1, expected 75"
grep -q "stop signal (received by another rank): writing a checkpoint at step" "$work/first.log" || fail "no stop message"
latest=$(cat "$out/checkpoints/latest")
step=$((10#${latest#step-}))
"$binary" inspect "$out/checkpoints/$latest" >"$work/inspect.log" 2>&1 || fail "inspect rejected $latest"
grep -q "step $step," "$work/inspect.log" || fail "inspect does not show step $step"
grep -q "^  ok model.safetensors.zst" "$work/inspect.log" || fail "inspect did not verify the model file"
echo "checkpoint-signals: SIGUSR1 on rank 1 -> checkpoint $latest, exit 75"

# 2. --resume auto continues from that checkpoint and finishes.
train resume.log --max-steps $((step + 10)) --resume auto
finish
((status == 0)) || fail "resumed run exited $status"
grep -q "resuming from $out/checkpoints/$latest at step $step" "$work/resume.log" || fail "did not resume from $latest"
"$binary" inspect "$out" >/dev/null 2>&1 || fail "the final checkpoint does not verify"
[[ "$(cat "$out/checkpoints/latest")" == "$(printf 'step-%08d' $((step + 10)))" ]] || fail "latest is not the final step"
echo "checkpoint-signals: --resume auto continued from step $step to $((step + 10))"

# 3. Two signals in a row to rank 0: it exits at once (143) and the checkpoints stay intact.
before=$(cat "$out/checkpoints/latest")
logs=$(metrics_lines)
train second.log --max-steps 100000 --resume auto
wait_for_logs $((logs + 1))
pid=$(rank_pid 0) || fail "rank 0 not found"
start=$(date +%s%N)
kill -USR1 "$pid"
kill -TERM "$pid"
finish
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
((status != 0 && status != 75)) || fail "exit status $status after two signals, expected a failure status"
grep -q "second stop signal, exiting without a new checkpoint" "$work/second.log" || fail "no second-signal message"
((elapsed_ms < 15000)) || fail "took ${elapsed_ms} ms to exit after the second signal"
for directory in "$out"/checkpoints/step-*; do
    "$binary" inspect "$directory" >/dev/null 2>&1 || fail "$(basename "$directory") damaged after the second signal"
done
pgrep -f "$binary train --model $work/model.json" >/dev/null && fail "processes left behind"
echo "checkpoint-signals: second signal exited with $status in ${elapsed_ms} ms; checkpoints intact (latest was $before)"

# 4. inspect fails on a corrupt file and names it.
target="$out/checkpoints/$(cat "$out/checkpoints/latest")/model.safetensors.zst"
printf '\xff' | dd of="$target" bs=1 seek=4096 conv=notrunc status=none
if "$binary" inspect "$(dirname "$target")" >"$work/corrupt.log" 2>&1; then fail "inspect accepted a corrupt file"; fi
grep -q "model.safetensors.zst: checksum" "$work/corrupt.log" || fail "inspect did not name the corrupt file"
echo "checkpoint-signals: ok"
