# Sourced by the launch scripts: lets mpirun run as root (containers, CI) and applies the
# all-reduce tuning from docs/PERFORMANCE.md. Every setting can be overridden from outside.
export OMPI_ALLOW_RUN_AS_ROOT="${OMPI_ALLOW_RUN_AS_ROOT:-1}"
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}"
# Shared-memory transport without single-copy (CMA/XPMEM is slower or unavailable in containers).
export OMPI_MCA_btl_vader_single_copy_mechanism="${OMPI_MCA_btl_vader_single_copy_mechanism:-none}"
# A SIGTERM to mpirun itself (kill, timeout, a container stop) tears the job down: SIGCONT to the
# ranks, this many seconds, SIGTERM, the same again, SIGKILL. The ranks checkpoint at that SIGTERM,
# so the second wait must cover a step plus a checkpoint: 2 s covers the tiny preset, and training
# warns with the value a larger model needs. Every failed job waits this out twice before it ends
# (four times across hosts). Open MPI's default is 1.
export OMPI_MCA_odls_base_sigkill_timeout="${OMPI_MCA_odls_base_sigkill_timeout:-2}"
