# Sourced by the launch scripts: lets mpirun run as root (containers, CI) and applies the
# all-reduce tuning from docs/PERFORMANCE.md. Every setting can be overridden from outside.
export OMPI_ALLOW_RUN_AS_ROOT="${OMPI_ALLOW_RUN_AS_ROOT:-1}"
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}"
# Shared-memory transport without single-copy (CMA/XPMEM is slower or unavailable in containers).
export OMPI_MCA_btl_vader_single_copy_mechanism="${OMPI_MCA_btl_vader_single_copy_mechanism:-none}"
