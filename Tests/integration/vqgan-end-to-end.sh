#!/usr/bin/env bash
# Images to pictures: 100 synthetic captioned images (PNG and JPEG, odd sizes, gray, alpha) with
# three corrupt files and one image without a caption → encode-images with the fixture VQGAN on
# 2 ranks and on 1 rank (identical shards and JSON Lines; the four bad files in skipped.jsonl) →
# --resume keeps everything → a short 2-rank train on the shards with decoded training samples →
# sample --vqgan on 2 ranks and on 1 rank (identical pictures) → decode-codes → PNGs.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/mpi-env.sh
binary=.build/release/dalle-train
vqgan=../shared/fixtures/vqgan/small/model
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "vqgan end-to-end: $*"; exit 1; }

"$binary" synth --images --records 100 --output "$work/images" >/dev/null
images="$work/images"
printf 'this is not an image' >"$images/00000/00007.png"
head -c 100 "$images/00000/00010.png" >"$work/cut" && mv "$work/cut" "$images/00000/00010.png"
head -c 300 "$images/00001/00053.jpg" >"$work/cut" && mv "$work/cut" "$images/00001/00053.jpg"
rm "$images/00000/00021.txt"

encode() {  # ranks output
    local ranks=$1 out=$2
    timeout 600 mpirun -np "$ranks" --oversubscribe "$binary" encode-images --vqgan "$vqgan" --input "$images" \
        --output "$out" --jsonl "$out.jsonl" --records-per-shard 40 >"$out.log" 2>&1 \
        || { tail -20 "$out.log"; fail "encode-images on $ranks rank(s) failed"; }
}
encode 2 "$work/two"
encode 1 "$work/one"
for file in manifest.json shard-00000.dtshard shard-00001.dtshard shard-00002.dtshard skipped.jsonl; do
    cmp -s "$work/one/$file" "$work/two/$file" || fail "$file differs between 1 and 2 ranks"
done
cmp -s "$work/one.jsonl" "$work/two.jsonl" || fail "JSON Lines differ between 1 and 2 ranks"

python3 - "$work/one" "$work/one.jsonl" <<'PY'
import json, sys
skipped = [json.loads(line) for line in open(sys.argv[1] + "/skipped.jsonl")]
names = sorted(s["path"].rsplit("/", 1)[1] for s in skipped)
assert names == ["00007.png", "00010.png", "00021.png", "00053.jpg"], names
reasons = {s["path"].rsplit("/", 1)[1]: s["reason"] for s in skipped}
assert reasons["00021.png"] == "no caption", reasons
records = [json.loads(line) for line in open(sys.argv[2])]
assert len(records) == 96 and all(len(r["encoding"]) == 16 for r in records), len(records)
manifest = json.load(open(sys.argv[1] + "/manifest.json"))
assert manifest["record_count"] == 96 and manifest["image_length"] == 16, manifest
PY

timeout 300 "$binary" encode-images --vqgan "$vqgan" --input "$images" --output "$work/one" --resume \
    --records-per-shard 40 >"$work/resume.log" 2>&1 || fail "--resume failed"
cmp -s "$work/one/shard-00000.dtshard" "$work/two/shard-00000.dtshard" || fail "--resume changed the shards"

cat >"$work/config.json" <<'JSON'
{"d_model": 64, "encoder_layers": 1, "decoder_layers": 1, "encoder_attention_heads": 4,
 "decoder_attention_heads": 4, "encoder_ffn_dim": 128, "decoder_ffn_dim": 128, "image_length": 16,
 "image_vocab_size": 512, "max_text_length": 32}
JSON
printf 'a red square\na blue circle\n' >"$work/prompts.txt"
timeout 600 mpirun -np 2 --oversubscribe "$binary" train --model "$work/config.json" --data "$work/one" \
    --max-steps 4 --batch-size 4 --output-dir "$work/run" --sample-steps 4 \
    --sample-prompts "$work/prompts.txt" --sample-vqgan "$vqgan" >"$work/train.log" 2>&1 \
    || { tail -20 "$work/train.log"; fail "train on the encoded shards failed"; }

sample() {  # ranks output
    timeout 300 mpirun -np "$1" --oversubscribe "$binary" sample --model "$work/run" --vqgan "$vqgan" \
        --prompts "$work/prompts.txt" --images-per-prompt 3 --batch-size 2 --seed 5 --output "$2" \
        >"$2.log" 2>&1 || { tail -20 "$2.log"; fail "sample --vqgan on $1 rank(s) failed"; }
}
sample 2 "$work/samples-two"
sample 1 "$work/samples-one"
for file in samples.jsonl 0000-00.png 0000-02.png 0001-01.png; do
    cmp -s "$work/samples-one/$file" "$work/samples-two/$file" || fail "sample: $file differs on 1 and 2 ranks"
done

"$binary" decode-codes --vqgan "$vqgan" --input "$work/one" --output "$work/pictures" --limit 3 >/dev/null
head -2 "$work/one.jsonl" | "$binary" decode-codes --vqgan "$vqgan" --output "$work/from-stdin" >/dev/null
[[ $(ls "$work/pictures" | wc -l) -eq 3 && $(ls "$work/from-stdin" | wc -l) -eq 2 ]] || fail "missing PNGs"
cmp -s "$work/pictures/00000.png" "$work/from-stdin/00000.png" || fail "shard and JSON Lines decode differently"
python3 - "$work/pictures/00000.png" "$work/samples-two" "$work/run/samples/step-00000004" <<'PY'
import json, os, struct, sys
def size(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])
assert size(sys.argv[1]) == (64, 64)
for directory, count in ((sys.argv[2], 6), (sys.argv[3], 2)):
    records = [json.loads(line) for line in open(os.path.join(directory, "samples.jsonl"))]
    assert len(records) == count and all(r["decoded"] for r in records), (directory, records)
    assert all(size(os.path.join(directory, r["image"])) == (64, 64) for r in records), directory
PY
echo "vqgan end-to-end: 96 of 100 images encoded, identical on 1 and 2 ranks, trained with decoded samples, sampled to pictures (same on 1 and 2 ranks), decoded"
