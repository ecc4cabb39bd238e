#!/usr/bin/env bash
# SLURM across two nodes: slurmctld and two slurmd (NodeName host1, host2) in two namespace hosts
# (deploy/local/hosts.sh HOSTS_HOLD=1); `sbatch --nodes 2` of deploy/slurm/dalle-train.sbatch is
# preempted (USR1), requeues itself, resumes and ends with the parameters of an uninterrupted run.
set -euo pipefail
cd "$(dirname "$0")/../.."
repository=$(pwd)
work=$(mktemp -d /tmp/dalle-train-multihost-slurm.XXXXXX)
holder=""
job=""
munge=""
cleanup() {
    [[ -n "$job" ]] && in_host 1 scancel "$job" 2>/dev/null || true
    # The daemons and munged write their state while they stop: remove $work only after they are gone.
    local daemons=()
    for daemon in slurmctld slurmd-host1 slurmd-host2; do
        [[ -s "$work/$daemon.pid" ]] && daemons+=("$(cat "$work/$daemon.pid")")
    done
    [[ -n "$munge" ]] && daemons+=("$munge")
    for pid in "${daemons[@]}"; do
        kill "$pid" 2>/dev/null || continue
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    [[ -n "$holder" ]] && kill "$holder" 2>/dev/null && wait "$holder" 2>/dev/null || true
    [[ -n "${KEEP_TEST_FILES:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT
name=multi-host-slurm
if [[ $(id -u) != 0 ]]; then echo "$name: SKIPPED: SLURM daemons and namespaces need root"; exit 0; fi
source Tests/integration/lib/multi-host.sh
source Tests/integration/lib/slurm.sh
in_host() {  # in_host K COMMAND...: runs COMMAND in host K's namespaces with this cluster's config
    local k="$1"
    shift
    nsenter -t "$(cat "$work/info/pid-$k")" -u -n -m --wd="$repository" env SLURM_CONF="$work/slurm.conf" "$@"
}
on_controller=(in_host 1)

# A munged of this test's own (its socket in $work, which every host sees), the hosts, the daemons.
mkdir -p /etc/munge "$work/munge"
[[ -s /etc/munge/munge.key ]] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
chown munge:munge /etc/munge /etc/munge/munge.key "$work/munge"
chmod 400 /etc/munge/munge.key
chmod 755 "$work"
runuser -u munge -- /usr/sbin/munged --socket="$work/munge/socket" --pid-file="$work/munge/munged.pid" \
    --log-file="$work/munge/munged.log" --seed-file="$work/munge/seed" || fail "munged did not start"
munge=$(cat "$work/munge/munged.pid")
mkdir -p "$work/info" "$work/state" "$work/spool-host1" "$work/spool-host2"
HOSTS_HOLD=1 HOSTS_INFO="$work/info" deploy/local/hosts.sh 2 1 >"$work/hosts.log" 2>&1 &
holder=$!
for _ in $(seq 1 100); do [[ -f "$work/info/ready" ]] && break; sleep 0.1; done
[[ -f "$work/info/ready" ]] || fail "the namespace hosts did not come up"
cp deploy/slurm/common.conf "$work/slurm.conf"
cat >>"$work/slurm.conf" <<CONF
ClusterName=dalletrainmulti
SlurmctldHost=host1(192.0.2.11)
AuthInfo=socket=$work/munge/socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool-%n
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd-%n.log
SlurmctldPidFile=$work/slurmctld-daemon.pid
SlurmdPidFile=$work/slurmd-daemon-%n.pid
NodeName=host1 NodeAddr=192.0.2.11 CPUs=$(nproc) RealMemory=4000 State=UNKNOWN
NodeName=host2 NodeAddr=192.0.2.12 CPUs=$(nproc) RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=host1,host2 Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
in_host 1 sh -c "slurmctld -D >'$work/slurmctld.out' 2>&1 & echo \$! >'$work/slurmctld.pid'"
for k in 1 2; do
    in_host "$k" sh -c "slurmd -D -N host$k >'$work/slurmd-host$k.out' 2>&1 & echo \$! >'$work/slurmd-host$k.pid'"
done
for _ in $(seq 1 60); do
    [[ $(in_host 1 sinfo -h -o '%t %D' 2>/dev/null) == "idle 2" ]] && break
    sleep 0.5
done
[[ $(in_host 1 sinfo -h -o '%t %D' 2>/dev/null) == "idle 2" ]] || fail "the two nodes did not become idle"

steps=40
flags=(--model tiny --data "$work/data" --batch-size 2 --max-steps "$steps" --log-interval 5 --save-steps 100000
    --seed 17)
# The uninterrupted reference: 2 ranks on one host give the bits of 2 hosts x 1 rank (a sum of two).
timeout 300 mpirun -np 2 "$binary" train "${flags[@]}" --output-dir "$work/reference" >"$work/reference.log" 2>&1 ||
    fail "the reference run failed"

# Ranks start through mpirun inside the allocation (srun --mpi=pmix would need a PMIx directory per
# host: these hosts share /tmp).
job=$(in_host 1 env DALLE_TRAIN_LAUNCHER=mpirun OMPI_MCA_btl_tcp_if_include=192.0.2.0/24 \
    OMPI_MCA_oob_tcp_if_include=192.0.2.0/24 sbatch --parsable --nodes 2 --ntasks-per-node 1 \
    --output="$work/job-%j.log" --time=10 deploy/slurm/dalle-train.sbatch "${flags[@]}" --output-dir "$work/slurm") ||
    fail "sbatch failed"
log="$work/job-$job.log"
wait_for_two_logs 120  # then preempt (step 10)
grep -q "on host\[1-2\]" "$log" || fail "the job does not run on both nodes"
in_host 1 scancel --signal=USR1 --batch "$job" || fail "scancel --signal=USR1 failed"

wait_for_requeued_completion 180
[[ "$state" == COMPLETED ]] || fail "job $job not completed after requeue within 180 s (state $state)"
grep -q "requeueing job $job" "$log" || fail "the job did not requeue itself"
resumed=$(sed -n 's/.*resuming from .*\/step-0*\([0-9]*\) at step.*/\1/p' "$log" | head -1)
[[ -n "$resumed" ]] && ((resumed > 0 && resumed < steps)) || fail "the requeued job did not resume mid-run"
cmp -s <(final_model "$work/reference") <(final_model "$work/slurm") ||
    fail "parameters after preemption and requeue on two nodes differ from the uninterrupted run"
job=""
echo "$name: ok (job on host1+host2 preempted, resumed at step $resumed, final parameters identical)"
