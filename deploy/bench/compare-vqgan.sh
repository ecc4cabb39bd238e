#!/usr/bin/env bash
# VQGAN encode and decode, dalle-train against the PyTorch implementations people use, on the
# same random weights of vqgan_f16_16384's shape, 1 thread each, alternating rounds:
# taming-transformers' Encoder + quant_conv + VectorQuantizer (taming-transformers-rom1504) and
# min-dalle's VQGanDetokenizer. Prints every round and the median ratio.
# Usage: deploy/bench/compare-vqgan.sh [ROUNDS] [IMAGES]   (default 3 rounds of 2 images; needs a
# release build). Installs torch, taming-transformers-rom1504 and min-dalle into .build/pytorch-venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
images=${2:-2}
venv=.build/pytorch-venv
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import torch, taming, min_dalle' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "torch==2.13.0+cpu" 2>/dev/null \
        || "$venv/bin/pip" install --quiet --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"
    # Their own dependency lists pull in training stacks (pytorch-lightning, ...) the modules timed here never import.
    "$venv/bin/pip" install --quiet --no-deps taming-transformers-rom1504 min-dalle
    "$venv/bin/pip" install --quiet einops msgpack numpy pillow requests emoji
fi
python="$venv/bin/python"
weights=$(mktemp -d)
trap 'rm -rf "$weights"' EXIT
"$python" deploy/bench/vqgan_pytorch.py --export "$weights" --seed 0
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
echo "CPU flags: $(grep -o 'avx[^ ]*' /proc/cpuinfo | sort -u | tr '\n' ' ')"
results=$(mktemp)
for round in $(seq "$rounds"); do
    torch_line=$("$python" deploy/bench/vqgan_pytorch.py --images "$images" --threads 1 --seed 0)
    ours=$(OPENBLAS_NUM_THREADS=1 .build/release/dalle-train bench-vqgan --vqgan "$weights" --images "$images")
    ours_encode=$(sed -n 's/.*encode: \([0-9.]*\) images\/s.*/\1/p' <<<"$ours")
    ours_decode=$(sed -n 's/.*decode: \([0-9.]*\) images\/s.*/\1/p' <<<"$ours")
    torch_encode=$("$python" -c "import json,sys; print(json.loads(sys.argv[1])['encode_images_per_s'])" "$torch_line")
    torch_decode=$("$python" -c "import json,sys; print(json.loads(sys.argv[1])['decode_images_per_s'])" "$torch_line")
    echo "round $round: encode dalle-train $ours_encode vs PyTorch $torch_encode images/s;" \
        "decode dalle-train $ours_decode vs min-dalle $torch_decode images/s"
    grep -E 'peak' <<<"$ours" | sed 's/^/    /'
    echo "$ours_encode $torch_encode $ours_decode $torch_decode" >>"$results"
done
"$python" - "$results" <<'PY'
import statistics, sys
rows = [list(map(float, line.split())) for line in open(sys.argv[1])]
encode = statistics.median(r[0] / r[1] for r in rows)
decode = statistics.median(r[2] / r[3] for r in rows)
print(f"median ratio dalle-train / PyTorch: encode {encode:.2f}x, decode {decode:.2f}x over {len(rows)} rounds")
PY
rm -f "$results"
