#!/usr/bin/env bash
# The main job's configuration (tiny preset, bundled tokenizer, built-in synthetic data) on 2
# ranks, shortened to 40 steps: the loss must fall clearly and metrics.jsonl must be well-formed.
set -euo pipefail
cd "$(dirname "$0")/../.."
output=$(mktemp -d)
trap 'rm -rf "$output"' EXIT
timeout 900 deploy/local/run.sh 2 --max-steps 40 --log-interval 10 --output-dir "$output" >"$output/log" 2>&1 \
    || { echo "default run failed"; tail -20 "$output/log"; exit 1; }
python3 - "$output/metrics.jsonl" <<'PY'
import json, sys
records = [json.loads(line) for line in open(sys.argv[1])]
steps = [r["step"] for r in records]
assert steps == [10, 20, 30, 40], f"logged steps {steps}"
for r in records:
    for key in ("epoch", "samples", "loss", "learning_rate", "grad_norm", "tokens_per_second", "train_time",
                "time_data", "time_forward", "time_backward", "time_allreduce", "time_optimizer"):
        assert key in r, f"missing {key} in {r}"
first, last = records[0]["loss"], records[-1]["loss"]
assert last < first - 2.0, f"loss went from {first} to {last}"
print(f"default run: loss {first:.3f} -> {last:.3f} over 40 steps on 2 ranks")
PY
