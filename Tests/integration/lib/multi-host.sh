# Sourced by Tests/integration/multi-host-*.sh (after they set $name and $work): the binary, fail,
# the skip where namespaces cannot be created, a dataset every host reads, and final_model.
source deploy/mpi-env.sh
binary="$(pwd)/.build/release/dalle-train"
fail() { echo "$name: FAILED: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -15 "$f" >&2; done; exit 1; }
if ! unshare --uts --net --mount true 2>/dev/null; then
    echo "$name: SKIPPED: cannot create UTS, network and mount namespaces here"
    exit 0
fi
# The dataset every host reads at the same path (without --data the synthetic one would be
# written into rank 0's output directory, which the other hosts do not see).
"$binary" synth --output "$work/data" --records 2000 >/dev/null
# final_model RUN: the decompressed parameters of RUN's latest checkpoint on stdout.
final_model() { zstd -dc "$1/checkpoints/$(cat "$1/checkpoints/latest")/model.safetensors.zst"; }
