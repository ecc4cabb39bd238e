#!/usr/bin/env bash
# Import speed of the same records from Parquet (per codec) and JSON Lines, and of pyarrow
# conversion to JSON Lines followed by the JSON Lines import, in alternating rounds.
# Usage: deploy/bench/parquet-import.sh [ROUNDS] [ROWS]   (needs `pip install pyarrow` for PYTHON)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
rows=${2:-100000}
python=${PYTHON:-python3}
binary=.build/release/dalle-train
work=${WORK:-/tmp/parquet-import-bench}
mkdir -p "$work"
[[ -f $work/records.jsonl && $(wc -l <"$work/records.jsonl") -eq $rows ]] ||
    "$python" deploy/bench/make_parquet.py "$work" "$rows"
ls -l "$work"/records*
seconds() { local start=$(date +%s.%N); "$@" >/dev/null; echo "$(date +%s.%N) - $start" | bc; }
for round in $(seq "$rounds"); do
    for codec in snappy zstd gzip none; do
        echo "round $round parquet-$codec $(seconds "$binary" import --output "$work/out" "$work/records-$codec.parquet")"
    done
    echo "round $round jsonl $(seconds "$binary" import --output "$work/out" "$work/records.jsonl")"
    echo "round $round pyarrow+jsonl $(seconds bash -c "'$python' deploy/bench/parquet_to_jsonl.py \
        '$work/records-snappy.parquet' '$work/converted.jsonl' &&
        '$binary' import --output '$work/out' '$work/converted.jsonl'")"
done
