#!/usr/bin/env python3
"""Writes N synthetic dalle-mini encoded records as Parquet (one file per codec, pandas/pyarrow
defaults otherwise) and as the JSON Lines twin, for the import benchmark.
Usage: make_parquet.py OUT_DIR [ROWS]"""
import json
import random
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

out = Path(sys.argv[1])
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
out.mkdir(parents=True, exist_ok=True)
rng = random.Random(20240611)
words = ["a", "photo", "of", "the", "red", "cat", "on", "blue", "sofa", "mountain", "lake", "at", "sunset",
         "drawing", "city", "street", "night", "dog", "café", "portrait", "old", "man", "with", "hat"]
captions = [" ".join(rng.choice(words) for _ in range(rng.randint(4, 20))) for _ in range(rows)]
encodings = [[rng.randrange(16384) for _ in range(256)] for _ in range(rows)]
table = pa.table({"caption": captions, "encoding": encodings})
for codec in ["snappy", "zstd", "gzip", "none"]:
    pq.write_table(table, out / f"records-{codec}.parquet", compression=codec)
with open(out / "records.jsonl", "w", encoding="utf-8") as f:
    for caption, encoding in zip(captions, encodings):
        f.write(json.dumps({"caption": caption, "encoding": encoding}, ensure_ascii=False,
                           separators=(",", ":")) + "\n")
