#!/usr/bin/env bash
# Starts or stops a one-node SLURM cluster on this machine (for tests and trying the sbatch
# script): deploy/slurm/local-cluster.sh start|stop. Installs slurm-wlm and munge when missing.
# Needs root. cgroup plugins do not work in containers, hence proctrack/linuxproc and task/none.
set -euo pipefail
state=/run/dalle-train-slurm
action="${1:-start}"

stop() {
    for name in slurmd slurmctld munged; do
        [[ -f "$state/$name.pid" ]] && kill "$(cat "$state/$name.pid")" 2>/dev/null || true
    done
    pkill -x slurmd 2>/dev/null || true
    pkill -x slurmctld 2>/dev/null || true
    rm -rf "$state"
}

if [[ "$action" == stop ]]; then stop; exit 0; fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
stop
mkdir -p "$state" /run/munge /var/log/munge /var/lib/munge /etc/munge \
    /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /etc/slurm
[[ -s /etc/munge/munge.key ]] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
chown -R munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge
chmod 400 /etc/munge/munge.key
runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
cp /run/munge/munged.pid "$state/munged.pid"

host=$(hostname)
cpus=$(nproc)
memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 8 / 10 ))
cat "$(dirname "$0")/common.conf" > /etc/slurm/slurm.conf
cat >> /etc/slurm/slurm.conf <<CONF
ClusterName=dalletrain
SlurmctldHost=$host
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
slurmctld -D >/var/log/slurm/slurmctld.out 2>&1 &
slurmd -D >/var/log/slurm/slurmd.out 2>&1 &
for _ in $(seq 1 60); do
    if sinfo -h -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
        echo "local-cluster: node $host idle"
        exit 0
    fi
    sleep 0.5
done
echo "local-cluster: node did not become idle" >&2
sinfo >&2 || true
tail -20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
exit 1
