#!/usr/bin/env bash
# Fine-tuning a dalle-mini model directory on 2 ranks: import tiny-A-scan (weights and tokenizer),
# train a few steps, export the newest checkpoint, and check the exported flax_model.msgpack holds
# the checkpoint's parameters bit for bit and re-imports to the same bytes.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/mpi-env.sh
binary="$(pwd)/.build/release/dalle-train"
model=../shared/fixtures/dalle-mini-models/tiny-A-scan
work=$(mktemp -d /tmp/dalle-train-finetune.XXXXXX)
trap '[[ -n "${KEEP:-}" ]] || rm -rf "$work"' EXIT
fail() { echo "model-directory-finetune: FAILED: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -15 "$f" >&2; done; exit 1; }

# 64 records of tiny-A's shape: 16 image codes below 256, short captions.
python3 - "$work/records.jsonl" <<'PY'
import json, random, sys
random.seed(7)
words = ["red", "blue", "circle", "square", "small", "large", "on", "a", "green", "triangle"]
with open(sys.argv[1], "w") as f:
    for _ in range(64):
        caption = " ".join(random.choice(words) for _ in range(random.randint(2, 5)))
        f.write(json.dumps({"caption": caption, "encoding": [random.randrange(256) for _ in range(16)]}) + "\n")
PY
timeout 120 "$binary" import --output "$work/shards" --image-length 16 --image-vocab-size 256 \
    --records-per-shard 16 "$work/records.jsonl" >"$work/import.log" 2>&1 || fail "import of the records"

timeout 600 mpirun -np 2 -x OPENBLAS_NUM_THREADS=1 "$binary" train --model "$model" --data "$work/shards" \
    --output-dir "$work/run" --batch-size 2 --max-steps 4 --warmup-steps 0 --learning-rate 0.01 \
    --log-interval 1 >"$work/train.log" 2>&1 || fail "training on 2 ranks"
grep -q '"initial_weights"' "$work/run/resolved_config.json" || fail "resolved_config.json lacks initial_weights"
grep -q "tiny-A-scan" "$work/run/resolved_config.json" || fail "resolved_config.json does not name the model"

timeout 120 "$binary" export "$work/run" --output "$work/exported" >"$work/export.log" 2>&1 \
    || fail "export of the run"
for name in config.json flax_model.msgpack tokenizer.json vocab.json merges.txt; do
    [[ -f "$work/exported/$name" ]] || fail "the export lacks $name"
done
timeout 120 "$binary" export "$work/exported" --output "$work/again" >"$work/reexport.log" 2>&1 \
    || fail "re-import and export of the exported directory"
cmp -s "$work/exported/flax_model.msgpack" "$work/again/flax_model.msgpack" \
    || fail "re-import then export changed flax_model.msgpack"
cmp -s "$work/exported/config.json" "$work/again/config.json" || fail "re-export changed config.json"
cmp -s "$work/exported/flax_model.msgpack" "$model/flax_model.msgpack" \
    && fail "the exported weights equal the untrained ones: training changed nothing"

checkpoint="$work/run/checkpoints/$(cat "$work/run/checkpoints/latest")"
zstd -q -d "$checkpoint/model.safetensors.zst" -o "$work/model.safetensors" || fail "zstd -d of the checkpoint"
# Independent of dalle-train's readers: walk the msgpack tree and the safetensors header by hand,
# unstack the scan layout into per-layer names, and compare raw bytes.
python3 - "$work/exported/flax_model.msgpack" "$work/model.safetensors" <<'PY' || fail "weights differ"
import json, struct, sys

data = open(sys.argv[1], "rb").read()
pos = 0

def take(n):
    global pos
    pos += n
    return data[pos - n:pos]

def uint(n):
    return int.from_bytes(take(n), "big")

def value():
    b = take(1)[0]
    if b <= 0x7F: return b
    if 0x80 <= b <= 0x8F: return ("map", b & 0x0F)
    if 0x90 <= b <= 0x9F: return [value() for _ in range(b & 0x0F)]
    if 0xA0 <= b <= 0xBF: return take(b & 0x1F).decode()
    if b in (0xCC, 0xCD, 0xCE, 0xCF): return uint({0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}[b])
    if b in (0xD9, 0xDA, 0xDB): return take(uint({0xD9: 1, 0xDA: 2, 0xDB: 4}[b])).decode()
    if b in (0xC4, 0xC5, 0xC6): return take(uint({0xC4: 1, 0xC5: 2, 0xC6: 4}[b]))
    if b in (0xDE, 0xDF): return ("map", uint(2 if b == 0xDE else 4))
    if b in (0xDC, 0xDD): return [value() for _ in range(uint(2 if b == 0xDC else 4))]
    if b in (0xC7, 0xC8, 0xC9):
        length = uint({0xC7: 1, 0xC8: 2, 0xC9: 4}[b])
        assert take(1)[0] == 1, "ext type"
        end = pos + length
        shape, dtype, raw = value()
        assert pos == end and dtype == "float32", (dtype, pos, end)
        return ("ndarray", shape, raw)
    raise ValueError(f"unexpected msgpack byte {b:#x} at {pos - 1}")

def walk(entries, prefix, out):
    for _ in range(entries):
        key = value()
        item = value()
        if item[0] == "map":
            walk(item[1], prefix + [key], out)
        else:
            out[tuple(prefix + [key])] = item[1:]

root = value()
leaves = {}
walk(root[1], [], leaves)
assert pos == len(data), "bytes after the root map"

exported = {}
for path, (shape, raw) in leaves.items():
    stacked = [i for i, p in enumerate(path) if p in ("FlaxBartEncoderLayers", "FlaxBartDecoderLayers")]
    if not stacked:
        exported[".".join(path)] = raw
        continue
    i = stacked[0]
    layers, size = shape[0], len(raw) // shape[0]
    for layer in range(layers):
        name = path[:i] + (path[i][:-1] + f"_{layer}",) + path[i + 1:]
        exported[".".join(name)] = raw[layer * size:(layer + 1) * size]

blob = open(sys.argv[2], "rb").read()
header_length = struct.unpack("<Q", blob[:8])[0]
header = json.loads(blob[8:8 + header_length])
header.pop("__metadata__", None)
base = 8 + header_length
checkpoint = {}
for name, info in header.items():
    assert info["dtype"] == "F32", (name, info["dtype"])
    start, end = info["data_offsets"]
    checkpoint[name] = blob[base + start:base + end]

missing = sorted(set(checkpoint) - set(exported))
extra = sorted(set(exported) - set(checkpoint))
assert not missing and not extra, f"names differ: missing {missing[:3]}, extra {extra[:3]}"
differing = [name for name in checkpoint if checkpoint[name] != exported[name]]
assert not differing, f"{len(differing)} tensors differ, e.g. {differing[:3]}"
print(f"{len(checkpoint)} checkpoint tensors, {sum(map(len, checkpoint.values()))} bytes, equal bit for bit")
PY
echo "model-directory-finetune: ok (2 ranks, 4 steps from tiny-A-scan; export = checkpoint bit for bit)"
