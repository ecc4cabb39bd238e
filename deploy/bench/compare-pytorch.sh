#!/usr/bin/env bash
# dalle-train against PyTorch DDP on the same machine, as a ratio measured in the same run:
# `small`, rounds alternating the two programs. LAYOUT 2x1 (default): 2 processes x 1 thread,
# batch 8 each; 1x2: one process with 2 threads (dalle-train --threads 2, torch 2 intra-op
# threads), batch 16. First both sides must show they run the same model: PyTorch loads
# dalle-train's initial parameters and batch (bench --export-step) and must reproduce its loss
# and gradient norm. Each run's peak resident memory (the largest process, /usr/bin/time) is
# compared too: a whole training step, optimizer included.
# Usage: deploy/bench/compare-pytorch.sh [ROUNDS [LAYOUT]]   (default 3 2x1; needs a release build)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-3}"
layout="${2:-2x1}"
case "$layout" in
2x1) processes=2 threads=1 batch=8 ;;
1x2) processes=1 threads=2 batch=16 ;;
*) echo "LAYOUT must be 2x1 or 1x2, not $layout" >&2; exit 2 ;;
esac
source deploy/mpi-env.sh
binary=.build/release/dalle-train
[[ -x "$binary" ]] || { echo "build first: swift build -c release --product dalle-train" >&2; exit 1; }

# PyTorch 2.13 CPU (the reference version used for these comparisons) in a private environment under .build/.
python=python3
if ! "$python" -c 'import torch' 2>/dev/null; then
    venv=.build/pytorch-venv
    if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import torch' 2>/dev/null; then
        echo "installing torch 2.13 (CPU) into $venv" >&2
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet "torch==2.13.0+cpu" 2>/dev/null ||
            "$venv/bin/pip" install --quiet --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"
    fi
    python="$venv/bin/python"
fi

same=$(mktemp -d /tmp/dalle-train-compare.XXXXXX)
trap 'rm -rf "$same"' EXIT
"$binary" bench --model small --batch-size "$batch" --threads 1 --steps 1 --warmup 0 --no-full-step \
    --export-step "$same" >/dev/null

ours=()
theirs=()
our_rss=()
their_rss=()
peak() { /usr/bin/time -f '%M' -o "$same/rss" "$@"; }  # peak: runs a command, leaves KiB in $same/rss
for round in $(seq 1 "$rounds"); do
    # The benchmark command of docs/PERFORMANCE.md (OpenBLAS picks its kernels itself).
    if ((processes > 1)); then
        line=$(peak env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE mpirun -np "$processes" "$binary" bench --model small \
            --batch-size "$batch" --threads "$threads" --steps 5 --warmup 1 | grep 'full data-parallel step')
    else
        line=$(peak env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$binary" bench --model small --batch-size "$batch" \
            --threads "$threads" --steps 5 --warmup 1 | grep 'full step (forward')
    fi
    ours+=("$(grep -oE '[0-9]+ (decoder )?tokens/s' <<<"$line" | tail -1 | cut -d' ' -f1)")
    our_rss+=("$(($(tail -1 "$same/rss") / 1024))")
    # Every PyTorch run checks the model before it times anything (and stops the script if it differs).
    output=$(OMP_NUM_THREADS="$threads" peak "$python" deploy/bench/pytorch_ddp_small.py --check-against "$same" \
        --processes "$processes" --threads "$threads" --batch-size "$batch" --steps 5 --warmup 1)
    ((round > 1)) || grep '^same model' <<<"$output"
    line=$(grep '^all ' <<<"$output")
    theirs+=("$(grep -oE '[0-9]+ decoder tokens/s' <<<"$line" | cut -d' ' -f1)")
    their_rss+=("$(($(tail -1 "$same/rss") / 1024))")
    echo "round $round: dalle-train ${ours[-1]} tokens/s, PyTorch DDP ${theirs[-1]} tokens/s," \
        "ratio $(awk -v a="${ours[-1]}" -v b="${theirs[-1]}" 'BEGIN { printf "%.2f", a / b }');" \
        "peak RSS ${our_rss[-1]} vs ${their_rss[-1]} MiB"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
a=$(median "${ours[@]}")
b=$(median "${theirs[@]}")
echo "median over $rounds rounds: dalle-train $a, PyTorch DDP $b decoder tokens/s ($processes process(es) x" \
    "$threads thread(s), batch $batch each): ratio $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
a=$(median "${our_rss[@]}")
b=$(median "${their_rss[@]}")
echo "peak RSS of the largest process, median: dalle-train $a MiB, PyTorch $b MiB:" \
    "ratio $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
