#!/usr/bin/env bash
# Runs dalle-train on N ranks of this machine: deploy/local/run.sh N [dalle-train arguments...]
# One OpenBLAS thread per rank unless OPENBLAS_NUM_THREADS is set; --oversubscribe when N > cores.
# A stop signal to this script checkpoints the run and exits 75, as SIGUSR1 to a rank does. A
# non-zero exit ends with one line of the project's saying what happened, after Open MPI's report.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/deploy/mpi-env.sh"
ranks="${1:-2}"
shift || true
binary="${DALLE_TRAIN_BINARY:-$root/.build/release/dalle-train}"
[[ -x "$binary" ]] || { echo "run.sh: $binary not built; run deploy/setup.sh first" >&2; exit 1; }
extra=()
(( ranks > $(nproc) )) && extra+=(--oversubscribe)
mpirun -np "$ranks" "${extra[@]}" -x OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}" "$binary" "$@" &
child=$!
# SIGTERM/SIGINT/SIGHUP to this script (kill, timeout, a container stop) become SIGUSR1 to mpirun,
# which forwards it to every rank: they finish the step, rank 0 checkpoints, all exit 75. (mpirun
# itself turns SIGTERM into a teardown that leaves the ranks OMPI_MCA_odls_base_sigkill_timeout
# seconds and exits 1; see deploy/mpi-env.sh.)
forward() { kill -USR1 "$child" 2>/dev/null || true; }
trap forward TERM INT HUP
status=0
while true; do
    wait "$child" && status=0 || status=$?
    kill -0 "$child" 2>/dev/null || break  # a trapped signal interrupted wait: keep waiting
done
# Open MPI's own report of a non-zero exit comes last; the project's summary goes after it.
case "$status" in
    0) ;;
    75) echo "dalle-train: stopped by a signal after writing a checkpoint (exit 75); run the same command to resume" >&2 ;;
    *) echo "dalle-train: the job failed (exit $status); the first 'rank N:' line above says why" >&2 ;;
esac
exit "$status"
