#!/usr/bin/env bash
# Failures across hosts (deploy/local/hosts.sh, 2 hosts x 2 ranks): a run killed after a
# checkpoint resumes to the bits of an uninterrupted run on the same layout, and kill -9 of every
# rank of one host ends the whole job within 10 s with a message naming a lost rank.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/dalle-train-multihost-failures.XXXXXX)
job=""
cleanup() {
    # SIGTERM lets hosts.sh tear its namespaces down.
    [[ -n "$job" ]] && kill "$job" 2>/dev/null && wait "$job" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
name=multi-host-failures
source Tests/integration/lib/multi-host.sh
flags=(train --model tiny --data "$work/data" --batch-size 2 --save-steps 4 --log-interval 1 --seed 13)
on_hosts() {  # on_hosts LOG [dalle-train arguments]: 2 hosts x 2 ranks in the background, sets $job
    local log="$1"
    shift
    mkdir -p "$work/info-$log"
    HOSTS_INFO="$work/info-$log" timeout 300 deploy/local/hosts.sh 2 2 "$@" >"$work/$log.log" 2>&1 &
    job=$!
}
finish() {  # finish SECONDS: waits for the job and sets $status to its exit status
    status=0
    for _ in $(seq 1 $(($1 * 10))); do kill -0 "$job" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$job" 2>/dev/null && fail "the job did not exit within $1 s"
    wait "$job" || status=$?
    job=""
}
ranks_on() {  # ranks_on INFO K: pids of dalle-train processes in host K's namespaces
    local holder pid
    holder=$(cat "$1/pid-$2")
    for pid in $(pgrep -f "$binary train" || true); do
        [[ "$(readlink "/proc/$pid/ns/net")" == "$(readlink "/proc/$holder/ns/net")" ]] && echo "$pid"
    done
    return 0
}
wait_for_checkpoint() {  # wait_for_checkpoint DIR: until DIR has a complete checkpoint
    for _ in $(seq 1 1200); do
        [[ -f "$1/checkpoints/latest" ]] && return 0
        kill -0 "$job" 2>/dev/null || fail "the run ended before its first checkpoint"
        sleep 0.1
    done
    fail "no checkpoint within 120 s"
}

# 1. Uninterrupted, then killed (every rank, kill -9) after its first checkpoint and resumed.
on_hosts whole "${flags[@]}" --max-steps 12 --output-dir "$work/whole"
finish 300
((status == 0)) || fail "the uninterrupted run exited $status"
on_hosts killed "${flags[@]}" --max-steps 12 --output-dir "$work/pieces"
wait_for_checkpoint "$work/pieces"
for k in 1 2; do for pid in $(ranks_on "$work/info-killed" "$k"); do kill -9 "$pid" 2>/dev/null || true; done; done
finish 30
((status != 0)) || fail "the killed run exited 0"
latest=$(cat "$work/pieces/checkpoints/latest")
on_hosts resumed "${flags[@]}" --max-steps 12 --output-dir "$work/pieces" --resume auto
finish 300
((status == 0)) || fail "the resumed run exited $status"
grep -q "resuming from $work/pieces/checkpoints/$latest" "$work/resumed.log" || fail "did not resume from $latest"
cmp -s <(final_model "$work/whole") <(final_model "$work/pieces") || fail "resumed parameters differ"
echo "multi-host-failures: killed after $latest, resumed on 2 hosts x 2 ranks: parameters bit-exact"

# 2. kill -9 of both ranks of host2 during training: the whole job ends within 10 s.
on_hosts lost "${flags[@]}" --max-steps 100000 --save-steps 100000 --output-dir "$work/lost"
for _ in $(seq 1 1200); do
    [[ -f "$work/lost/metrics.jsonl" ]] && (($(wc -l <"$work/lost/metrics.jsonl") >= 2)) && break
    kill -0 "$job" 2>/dev/null || fail "the run ended before training"
    sleep 0.1
done
victims=$(ranks_on "$work/info-lost" 2)
[[ $(wc -w <<<"$victims") == 2 ]] || fail "expected 2 ranks on host2, found: $victims"
start=$(date +%s%N)
kill -9 $victims
finish 10
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
((status != 0)) || fail "the job exited 0 after host2's ranks were killed"
grep -qE "rank [23] .*(host2|exited on signal 9)|process rank [23]" "$work/lost.log" || fail "no message names a rank of host2"
sleep 0.5
[[ -z "$(pgrep -f "output-dir $work/lost" || true)" ]] || fail "processes left behind"
echo "multi-host-failures: kill -9 of host2's ranks ended the job in ${elapsed_ms} ms (status $status): $(grep -m1 -E 'rank [23]' "$work/lost.log")"
