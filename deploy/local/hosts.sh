#!/usr/bin/env bash
# A cluster on this machine: deploy/local/hosts.sh HOSTS RANKS_PER_HOST [dalle-train arguments...]
# Each "host" is a set of Linux namespaces (own hostname, network on a private bridge, /dev/shm,
# /etc/hosts); mpirun starts RANKS_PER_HOST ranks on each over TCP, rank 0 on host1. Root only.
# DALLE_TRAIN_BINARY overrides the binary; HOSTS_INFO=DIR receives pid-K (a process in host K);
# HOSTS_HOLD=1 runs no job: the hosts stay up (HOSTS_INFO/ready) until SIGTERM, for other launchers.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
usage() {
    echo "usage: deploy/local/hosts.sh HOSTS(2-3) RANKS_PER_HOST [dalle-train arguments...]" >&2
    exit 64
}
(($# >= 2)) || usage
hosts="$1"
ranks_per_host="$2"
shift 2
[[ "$hosts" =~ ^[23]$ && "$ranks_per_host" =~ ^[1-9]$ ]] || usage
source "$root/deploy/mpi-env.sh"
binary="${DALLE_TRAIN_BINARY:-$root/.build/release/dalle-train}"
[[ -x "$binary" ]] || { echo "hosts.sh: $binary not built; run deploy/setup.sh first" >&2; exit 1; }

# The output directory (rank 0's host writes it; every other host gets an empty view of it).
output=""
previous=""
for argument in "$@"; do
    [[ "$previous" == "--output-dir" ]] && output="$argument"
    [[ "$argument" == --output-dir=* ]] && output="${argument#--output-dir=}"
    previous="$argument"
done
[[ -n "$output" && "$output" != /* ]] && output="$root/$output"

work=$(mktemp -d /tmp/dalle-train-hosts.XXXXXX)
holders=()
job=""
cleanup() {
    [[ -n "$job" ]] && kill -9 "$job" 2>/dev/null || true
    # Ending the processes that hold the namespaces removes the namespaces and their links.
    local pid
    for pid in "${holders[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    for pid in "${holders[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Hosts and the switch: processes that hold namespaces until killed. Addresses: 192.0.2.0/24
# (reserved for documentation, so nothing else uses them).
{
    echo "127.0.0.1 localhost"
    for k in $(seq 1 "$hosts"); do echo "192.0.2.$((10 + k)) host$k"; done
} >"$work/hosts"
if ! unshare --net true 2>/dev/null || ! unshare --uts --mount true 2>/dev/null; then
    echo "hosts.sh: cannot create network, UTS and mount namespaces here (root and CAP_SYS_ADMIN needed)" >&2
    exit 77
fi
unshare --net sh -c "touch '$work/ready-switch'; exec sleep infinity" &
holders+=($!)
switch=$!
for k in $(seq 1 "$hosts"); do
    view=""
    if [[ -n "$output" ]] && ((k > 1)); then
        # An empty, private view of the output directory: anything written there stays visible
        # to this script alone, which checks it at the end.
        mkdir -p "$output"
        view="mount -t tmpfs -o size=64m dalle-train-view '$output' &&"
    fi
    unshare --uts --net --mount sh -c "hostname host$k && mount -t tmpfs -o size=4g shm /dev/shm && \
        mount --bind '$work/hosts' /etc/hosts && $view touch '$work/ready-$k' && exec sleep infinity" &
    holders+=($!)
    echo "$!" >"$work/pid-$k"
done
for _ in $(seq 1 100); do
    ready=$(find "$work" -name 'ready-*' | wc -l)
    ((ready == hosts + 1)) && break
    sleep 0.05
done
((ready == hosts + 1)) || { echo "hosts.sh: the namespaces did not come up" >&2; exit 1; }
in_switch() { nsenter -t "$switch" -n "$@"; }
in_switch ip link add br0 type bridge
in_switch ip link set br0 up
tag="dt$$"
for k in $(seq 1 "$hosts"); do
    pid=$(cat "$work/pid-$k")
    ip link add "${tag}h$k" type veth peer name "${tag}s$k"
    ip link set "${tag}h$k" netns "$pid"
    ip link set "${tag}s$k" netns "$switch"
    in_switch ip link set "${tag}s$k" master br0 up
    nsenter -t "$pid" -n ip link set "${tag}h$k" name eth0
    nsenter -t "$pid" -n ip addr add "192.0.2.$((10 + k))/24" dev eth0
    nsenter -t "$pid" -n ip link set eth0 up
    nsenter -t "$pid" -n ip link set lo up
    echo "host$k slots=$ranks_per_host" >>"$work/hostfile"
done

# mpirun reaches the other hosts through this agent instead of ssh: `agent HOST COMMAND...`.
cat >"$work/agent" <<EOF
#!/bin/sh
host="\$1"
shift
exec nsenter -t "\$(cat "$work/pid-\${host#host}")" -u -n -m --wd="$root" /bin/sh -c "\$*"
EOF
chmod +x "$work/agent"
[[ -n "${HOSTS_INFO:-}" ]] && cp "$work"/pid-* "$HOSTS_INFO"/

forwarded=()
[[ -n "${DALLE_TRAIN_SHARED_MEMORY:-}" ]] && forwarded+=(-x DALLE_TRAIN_SHARED_MEMORY)
echo "hosts.sh: $hosts hosts x $ranks_per_host ranks (host1..host$hosts, 192.0.2.11-$((10 + hosts))), rank 0 on host1"
status=0
if [[ -n "${HOSTS_HOLD:-}" ]]; then
    sleep infinity &
    job=$!
    [[ -n "${HOSTS_INFO:-}" ]] && touch "$HOSTS_INFO/ready"
    trap 'kill "$job" 2>/dev/null || true' TERM INT HUP
    wait "$job" || true
    job=""
    exit 0
fi
nsenter -t "$(cat "$work/pid-1")" -u -n -m --wd="$root" \
    mpirun -np $((hosts * ranks_per_host)) --hostfile "$work/hostfile" --map-by slot \
    --mca plm_rsh_agent "$work/agent" --mca btl self,vader,tcp \
    --mca btl_tcp_if_include 192.0.2.0/24 --mca oob_tcp_if_include 192.0.2.0/24 \
    -x OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}" "${forwarded[@]}" "$binary" "$@" &
job=$!
# From here SIGTERM/SIGINT/SIGHUP become SIGUSR1 to mpirun, as in run.sh: every rank finishes its
# step, rank 0 checkpoints, all exit 75.
forward() { kill -USR1 "$job" 2>/dev/null || true; }
trap forward TERM INT HUP
while true; do
    wait "$job" && status=0 || status=$?
    kill -0 "$job" 2>/dev/null || break  # a trapped signal interrupted wait: keep waiting
done
job=""

if [[ -n "$output" ]]; then
    echo "hosts.sh: output in $output on host1 (rank 0's host)"
    for k in $(seq 2 "$hosts"); do
        written=$(nsenter -t "$(cat "$work/pid-$k")" -m find "$output" -mindepth 1 | head -5)
        if [[ -n "$written" ]]; then
            echo "hosts.sh: host$k wrote into its own view of the output directory: $written" >&2
            ((status != 0)) || status=1
        fi
    done
fi
exit "$status"
