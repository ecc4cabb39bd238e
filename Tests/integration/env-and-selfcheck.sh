#!/usr/bin/env bash
# `dalle-train env` prints one line per rank with and without mpirun; the default run works.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/mpi-env.sh
binary=.build/release/dalle-train
single=$("$binary" env)
[[ $(grep -c '^rank 0/1 ' <<<"$single") == 1 ]] || { echo "single-rank env: $single"; exit 1; }
multi=$(mpirun -np 2 "$binary" env)
[[ $(grep -cE '^rank [01]/2 ' <<<"$multi") == 2 ]] || { echo "2-rank env: $multi"; exit 1; }
grep -q '^layout: 1 host(s) x 2 rank(s) (ranks 0,1)$' <<<"$multi" \
    || { echo "2-rank env does not report one host of 2 ranks: $multi"; exit 1; }
grep -q '^collectives: all-reduce, reduce-scatter and all-gather in shared memory; checked$' <<<"$multi" \
    || { echo "2-rank env does not report the shared-memory collectives: $multi"; exit 1; }
grep -q '^collectives: all-reduce, reduce-scatter and all-gather through MPI (one rank' <<<"$single" \
    || { echo "single-rank env: $single"; exit 1; }
echo "env: ok"
