#!/usr/bin/env python3
"""What a user does without native Parquet import: pyarrow reads the file batch by batch and
each row is written as a dalle-mini JSON Lines record. Usage: parquet_to_jsonl.py IN.parquet OUT.jsonl"""
import json
import sys

import pyarrow.parquet as pq

with open(sys.argv[2], "w", encoding="utf-8") as f:
    for batch in pq.ParquetFile(sys.argv[1]).iter_batches(columns=["caption", "encoding"]):
        for row in batch.to_pylist():
            f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
