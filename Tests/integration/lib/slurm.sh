# Sourced by the SLURM integration tests (after they set $name and $work): installs slurm-wlm and
# munge when missing (or ends the test as skipped, saying why), and wait_for_two_logs.
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
