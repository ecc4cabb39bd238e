#!/usr/bin/env bash
# `dalle-train check-reference` on the shipped dalle-mini dumps and trajectory: exit 0 within
# tolerance; a dump whose gradient file lacks a tensor fails with a message naming it.
set -euo pipefail
cd "$(dirname "$0")/../.."
binary=.build/release/dalle-train
fixtures=../shared/fixtures
for name in tiny-A tiny-A2; do
    "$binary" check-reference "$fixtures/dallebart/$name" | tail -1 | grep -q "^OK" \
        || { echo "check-reference $name failed"; exit 1; }
done
"$binary" check-reference --trajectory "$fixtures/trajectory/tiny-A" | tail -1 | grep -q "^OK" \
    || { echo "check-reference --trajectory failed"; exit 1; }
for folder in tiny-A tiny-A2 tiny-A-eos; do
    cfg=${folder%-eos}
    for model in "$fixtures/dallebart/$cfg" "$fixtures/dalle-mini-models/$cfg-scan"; do
        "$binary" check-reference --sampling "$fixtures/sampling/$folder" --model "$model" | tail -1 \
            | grep -q "^OK" || { echo "check-reference --sampling $folder --model $model failed"; exit 1; }
    done
done
broken=$(mktemp -d)
trap 'rm -rf "$broken"' EXIT
cp "$fixtures/dallebart/tiny-A/"* "$broken/"
chmod u+w "$broken"/*
rm "$broken/logits.safetensors"
if output=$("$binary" check-reference "$broken" 2>&1); then
    echo "check-reference accepted a dump without logits"; exit 1
fi
grep -q "logits.safetensors" <<<"$output" || { echo "error does not name the missing file: $output"; exit 1; }
echo "check-reference: ok"
