#!/usr/bin/env bash
# Training across hosts (deploy/local/hosts.sh: namespaces on this machine): 2 hosts x 1 rank and
# 2 hosts x 2 ranks train `tiny` to the parameters of the same ranks on one host (within 1e-5
# relative), print their layout, and only rank 0's host writes the output directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/dalle-train-multihost.XXXXXX)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
name=multi-host-training
source Tests/integration/lib/multi-host.sh
flags=(train --model tiny --data "$work/data" --batch-size 2 --max-steps 6 --save-steps 6 --log-interval 1 --seed 11)
compare() {  # compare A B: every parameter of B within 1e-5 relative (1e-6 absolute) of A's
    python3 - "$1" "$2" <<'PY'
import array, json, struct, sys
def tensors(path):
    data = open(path, "rb").read()
    size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + size])
    body = data[8 + size:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__": continue
        start, end = info["data_offsets"]
        out[name] = array.array("f", body[start:end])
    return out
a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
assert a.keys() == b.keys(), "different tensor names"
worst = 0.0
for name in a:
    for x, y in zip(a[name], b[name]):
        error = abs(x - y) - 1e-5 * abs(x)
        if error > 1e-6: sys.exit(f"{name}: {y} differs from {x}")
        worst = max(worst, abs(x - y))
print(f"largest difference {worst:.3g} over {sum(len(v) for v in a.values())} parameters")
PY
}

for layout in "2 1" "2 2"; do
    read -r hosts per_host <<<"$layout"
    ranks=$((hosts * per_host))
    single="$work/single-$ranks"
    mpirun -np "$ranks" --oversubscribe "$binary" "${flags[@]}" --output-dir "$single" >"$work/single-$ranks.log" 2>&1 \
        || fail "one host, $ranks ranks"
    multi="$work/hosts-$hosts-$per_host"
    timeout 300 deploy/local/hosts.sh "$hosts" "$per_host" "${flags[@]}" --output-dir "$multi" \
        >"$work/hosts-$hosts-$per_host.log" 2>&1 || fail "$hosts hosts x $per_host ranks exited non-zero"
    log="$work/hosts-$hosts-$per_host.log"
    grep -q "$hosts host(s) x $per_host rank(s)" "$log" || fail "the first line does not print the layout"
    if ((per_host > 1)); then
        grep -q "MPI between the $hosts host leaders" "$log" || fail "not the hierarchical all-reduce"
    else
        grep -q "through MPI (one rank per host" "$log" || fail "not the flat MPI path"
    fi
    grep -q "output in $multi on host1" "$log" || fail "hosts.sh did not say where the output went"
    [[ -f "$multi/metrics.jsonl" ]] || fail "no metrics.jsonl on rank 0's host"
    final_model "$single" >"$work/single.safetensors"
    final_model "$multi" >"$work/multi.safetensors"
    result=$(compare "$work/single.safetensors" "$work/multi.safetensors") || fail "$result"
    echo "multi-host-training: $hosts hosts x $per_host ranks = one host x $ranks ranks: $result"
done
echo "multi-host-training: ok"
