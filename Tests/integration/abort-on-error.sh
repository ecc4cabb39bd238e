#!/usr/bin/env bash
# A rank that throws ends the whole job: mpirun exits non-zero within seconds, the message
# names the rank, and no dalle-train process is left behind; through deploy/local/run.sh the
# project's summary line comes last.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/mpi-env.sh
binary=.build/release/dalle-train
log=$(mktemp)
start=$(date +%s)
if timeout 60 mpirun -np 2 "$binary" train --fail-on-last-rank >"$log" 2>&1; then
    echo "expected a non-zero exit"; cat "$log"; exit 1
fi
elapsed=$(( $(date +%s) - start ))
grep -q "rank 1: failing on purpose" "$log" || { echo "missing rank message"; cat "$log"; exit 1; }
(( elapsed < 20 )) || { echo "took ${elapsed}s to abort"; exit 1; }
sleep 1
if pgrep -f "$binary train --fail-on-last-rank" >/dev/null; then
    echo "processes left behind"; pgrep -af dalle-train; exit 1
fi
# Through the local launcher the project's summary is the last line, after Open MPI's report.
set +e
timeout 60 deploy/local/run.sh 2 train --fail-on-last-rank >"$log" 2>&1
code=$?
set -e
(( code == 1 )) || { echo "run.sh exited $code, expected 1"; cat "$log"; exit 1; }
grep -q "rank 1: failing on purpose" "$log" || { echo "missing rank message via run.sh"; cat "$log"; exit 1; }
last=$(tail -1 "$log")
[[ "$last" == "dalle-train: the job failed (exit 1); the first 'rank N:' line above says why" ]] \
    || { echo "last line via run.sh: $last"; exit 1; }
# Usage errors exit 64 without starting a job.
set +e
"$binary" bench-allreduce --iterations 0 >/dev/null 2>&1
code=$?
set -e
(( code == 64 )) || { echo "validation error exited $code, expected 64"; exit 1; }
echo "abort-on-error: ok (${elapsed}s)"
