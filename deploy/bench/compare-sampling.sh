#!/usr/bin/env bash
# dalle-train's image-token generation against dalle-mini's JAX `generate` and min-dalle (PyTorch)
# on the same random `small`-shape model, batch 8, condition scale 10, top-k 50, one thread per
# process, in alternating rounds. Usage: deploy/bench/compare-sampling.sh [ROUNDS] (default 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-3}"
binary=.build/release/dalle-train
[[ -x "$binary" ]] || { echo "build first: swift build -c release --product dalle-train" >&2; exit 1; }

# Private Python environments (PyPI): dalle-mini 0.1.5 with its working pins, and min-dalle.
jax_venv="${JAX_VENV:-/tmp/venv-dalle-mini}"
if ! "$jax_venv/bin/pip" show --quiet dalle-mini jax flax 2>/dev/null; then  # (importing needs a patch)
    echo "installing dalle-mini 0.1.5 into $jax_venv" >&2
    python3 -m venv "$jax_venv"
    "$jax_venv/bin/pip" install --quiet --no-deps -r deploy/bench/requirements-dalle-mini.txt
fi
torch_venv="${TORCH_VENV:-/tmp/venv-min-dalle}"
if ! "$torch_venv/bin/python" -c 'import min_dalle' 2>/dev/null; then
    echo "installing torch 2.13 (CPU) and min-dalle 0.4.11 into $torch_venv" >&2
    python3 -m venv "$torch_venv"
    "$torch_venv/bin/pip" install --quiet "torch==2.13.0+cpu" 2>/dev/null ||
        "$torch_venv/bin/pip" install --quiet --extra-index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"
    "$torch_venv/bin/pip" install --quiet "min-dalle==0.4.11"
fi

echo "CPU flags: $(grep -o 'avx[^ ]*' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
field() { grep -oE "[0-9.]+ $1" <<<"$2" | head -1 | cut -d' ' -f1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ours=() ours_cpu=() jax=() jax_cpu=() torch=() torch_cpu=()
for round in $(seq 1 "$rounds"); do
    # The benchmark command of docs/PERFORMANCE.md (OpenBLAS picks its kernels itself).
    line=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 \
        "$binary" sample --model small --benchmark --batch-size 8 --rounds 1 | grep 'sample benchmark')
    echo "$line"
    ours+=("$(field 'image tokens/s' "$line")") ours_cpu+=("$(field 'image tokens per CPU' "$line")")
    line=$(JAX_PLATFORMS=cpu XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \
        WANDB_MODE=disabled HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TF_CPP_MIN_LOG_LEVEL=3 \
        "$jax_venv/bin/python" deploy/bench/sample_reference.py jax --batch-size 8 2>/dev/null | grep '^dalle-mini')
    echo "$line"
    jax+=("$(field 'image tokens/s' "$line")") jax_cpu+=("$(field 'image tokens per CPU' "$line")")
    line=$(OMP_NUM_THREADS=1 "$torch_venv/bin/python" deploy/bench/sample_reference.py min-dalle \
        --batch-size 8 2>/dev/null | grep '^min-dalle')
    echo "$line"
    torch+=("$(field 'image tokens/s' "$line")") torch_cpu+=("$(field 'image tokens per CPU' "$line")")
    echo "round $round: dalle-train / dalle-mini $(ratio "${ours[-1]}" "${jax[-1]}")" \
        "(CPU $(ratio "${ours_cpu[-1]}" "${jax_cpu[-1]}")), dalle-train / min-dalle" \
        "$(ratio "${ours[-1]}" "${torch[-1]}") (CPU $(ratio "${ours_cpu[-1]}" "${torch_cpu[-1]}"));" \
        "load average $(cut -d' ' -f1-3 /proc/loadavg)"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
a=$(median "${ours[@]}") b=$(median "${jax[@]}") c=$(median "${torch[@]}")
ac=$(median "${ours_cpu[@]}") bc=$(median "${jax_cpu[@]}") cc=$(median "${torch_cpu[@]}")
echo "median over $rounds rounds, image tokens/s (per CPU second): dalle-train $a ($ac)," \
    "dalle-mini JAX $b ($bc), min-dalle $c ($cc)"
echo "ratios: dalle-train / dalle-mini $(ratio "$a" "$b") (CPU $(ratio "$ac" "$bc"))," \
    "dalle-train / min-dalle $(ratio "$a" "$c") (CPU $(ratio "$ac" "$cc"))"
