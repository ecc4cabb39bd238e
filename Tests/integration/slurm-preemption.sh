#!/usr/bin/env bash
# The SLURM batch script on a real one-node cluster (deploy/slurm/local-cluster.sh): a short run of
# the small test model is preempted mid-run (scancel --signal=USR1 --batch), checkpoints, requeues
# itself, resumes, and ends with exactly the parameters of an uninterrupted run (bitwise).
# Skips, saying why, only where SLURM cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
repository=$(pwd)
source deploy/mpi-env.sh
binary="$repository/.build/release/dalle-train"
tokenizer="$repository/../shared/fixtures/tokenizer/bytebpe-512"
# Long enough (several seconds here) that the preemption after the second log line always finds
# the job running: 200 steps once finished before the signal arrived.
steps=2000
work=$(mktemp -d /tmp/dalle-train-slurm.XXXXXX)
job=""
started=""
cleanup() {
    [[ -n "$job" ]] && scancel "$job" 2>/dev/null || true
    [[ -n "$started" ]] && deploy/slurm/local-cluster.sh stop >/dev/null 2>&1 || true
    [[ -n "${KEEP_TEST_FILES:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "slurm-preemption: FAILED: $*" >&2
    for f in "$work"/*.log; do echo "--- $f" >&2; tail -25 "$f" >&2; done
    [[ -n "$job" ]] && scontrol show job "$job" >&2 2>/dev/null
    exit 1
}

if [[ $(id -u) != 0 ]]; then echo "slurm-preemption: skipped: the local cluster needs root"; exit 0; fi
name=slurm-preemption
source Tests/integration/lib/slurm.sh
started=yes
deploy/slurm/local-cluster.sh start >"$work/cluster.log" 2>&1 || fail "the local cluster did not start"

cp Tests/integration/small-model.json "$work/model.json"  # the model of Tests/TestSupport/SmallRun.swift
flags=(--model "$work/model.json" --tokenizer "$tokenizer" --batch-size 4 --max-steps "$steps"
    --log-interval 100 --save-steps 100000 --seed 9)

# The uninterrupted reference, 2 ranks outside SLURM.
timeout 120 mpirun -np 2 "$binary" train "${flags[@]}" --output-dir "$work/reference" >"$work/reference.log" 2>&1 ||
    fail "the reference run failed"

# The batch job, submitted from the repository (the script finds it through SLURM_SUBMIT_DIR).
job=$(sbatch --parsable --output="$work/job-%j.log" --time=5 "$repository/deploy/slurm/dalle-train.sbatch" \
    "${flags[@]}" --output-dir "$work/slurm") || fail "sbatch failed"
log="$work/job-$job.log"
wait_for_two_logs 60  # then preempt (step 200)
scancel --signal=USR1 --batch "$job" || fail "scancel --signal=USR1 failed"

wait_for_requeued_completion 90
[[ "$state" == COMPLETED ]] || fail "job $job not completed after requeue within 90 s (state $state)"
grep -q "USR1 received" "$log" || fail "the batch script did not receive USR1"
grep -q "requeueing job $job" "$log" || fail "the job did not requeue itself"
resumed=$(sed -n 's/.*resuming from .*\/step-0*\([0-9]*\) at step.*/\1/p' "$log" | head -1)
[[ -n "$resumed" ]] && ((resumed > 0 && resumed < steps)) || fail "the requeued job did not resume mid-run"

final=$(printf 'step-%08d' "$steps")
digest() { zstd -d -q -c "$1/checkpoints/$final/$2" | sha256sum | cut -d' ' -f1; }
for file in model.safetensors.zst optimizer.safetensors.zst; do
    [[ "$(digest "$work/slurm" $file)" == "$(digest "$work/reference" $file)" ]] ||
        fail "$file after preemption and requeue differs from the uninterrupted run"
done
"$binary" inspect "$work/slurm" >/dev/null 2>&1 || fail "the final checkpoint does not verify"
echo "slurm-preemption: ok (job $job preempted, resumed at step $resumed, final parameters identical)"
