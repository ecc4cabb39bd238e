#!/usr/bin/env bash
# A rank that throws ends the whole job: mpirun exits non-zero within seconds, the message
# names the rank, and no dalle-train process is left behind.
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
# Usage errors exit 64 without starting a job.
set +e
"$binary" bench-allreduce --iterations 0 >/dev/null 2>&1
code=$?
set -e
(( code == 64 )) || { echo "validation error exited $code, expected 64"; exit 1; }
echo "abort-on-error: ok (${elapsed}s)"
