# Sourced by the SLURM integration tests (after they set $name and $work): installs slurm-wlm and
# munge when missing (or ends the test as skipped, saying why), wait_for_two_logs and
# wait_for_requeued_completion. SLURM commands run through "${on_controller[@]}" (empty: this host).
declare -p on_controller &>/dev/null || on_controller=()
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        slurm-wlm munge) >"$work/apt.log" 2>&1; then
        echo "$name: skipped: slurm-wlm and munge cannot be installed here:"
        tail -3 "$work/apt.log"
        exit 0
    fi
fi
# wait_for_two_logs SECONDS: until the job ($job) has logged twice to $work/slurm/metrics.jsonl.
wait_for_two_logs() {
    for _ in $(seq 1 $(($1 * 10))); do
        [[ -f "$work/slurm/metrics.jsonl" ]] && (($(wc -l <"$work/slurm/metrics.jsonl") >= 2)) && return 0
        sleep 0.1
    done
    fail "job $job made no progress in $1 s"
}
# wait_for_requeued_completion SECONDS: until job $job has been requeued and has completed; sets
# $state to its final state. slurmctld holds a requeued job for two minutes (Reason=BeginTime); the
# test releases it once the first run's steps have left every node and two seconds have passed since
# the requeue: slurmd revokes the first run's credential at the requeue and compares credential times
# in whole seconds, so a start within that second is refused ("Job credential revoked").
wait_for_requeued_completion() {
    local restarts show held_since=""
    state=""
    for _ in $(seq 1 $(($1 * 10))); do
        show=$("${on_controller[@]}" scontrol show job "$job" 2>/dev/null || true)
        state=$(sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' <<<"$show")
        restarts=$(sed -n 's/.*Restarts=\([0-9]*\).*/\1/p' <<<"$show")
        [[ "$state" == COMPLETED && "${restarts:-0}" -ge 1 ]] && break
        if [[ "$state" == PENDING && "${restarts:-0}" -ge 1 ]] && grep -q "Reason=BeginTime" <<<"$show" \
            && [[ -z "$("${on_controller[@]}" squeue -h -s -j "$job" 2>/dev/null)" ]] && ! pgrep -x slurmstepd >/dev/null
        then
            held_since=${held_since:-$SECONDS}
            if ((SECONDS - held_since >= 2)); then
                "${on_controller[@]}" scontrol update JobId="$job" StartTime=now || fail "cannot release the requeued job"
                held_since=""
            fi
        fi
        sleep 0.1
    done
}
