#!/usr/bin/env bash
# Runs dalle-train on N ranks of this machine: deploy/local/run.sh N [dalle-train arguments...]
# One OpenBLAS thread per rank unless OPENBLAS_NUM_THREADS is set; --oversubscribe when N > cores.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/deploy/mpi-env.sh"
ranks="${1:-2}"
shift || true
binary="${DALLE_TRAIN_BINARY:-$root/.build/release/dalle-train}"
[[ -x "$binary" ]] || { echo "run.sh: $binary not built; run deploy/setup.sh first" >&2; exit 1; }
extra=()
(( ranks > $(nproc) )) && extra+=(--oversubscribe)
exec mpirun -np "$ranks" "${extra[@]}" -x OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}" "$binary" "$@"
