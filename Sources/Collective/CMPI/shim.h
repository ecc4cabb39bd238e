// Accessors for OpenMPI's handle macros (globals Swift cannot import), malloc tuning, and the
// atomics of the shared-memory barrier.
#include <mpi.h>
#include <malloc.h>
#include <stdint.h>

static inline MPI_Comm cmpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm cmpi_comm_self(void) { return MPI_COMM_SELF; }
static inline MPI_Datatype cmpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype cmpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype cmpi_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype cmpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype cmpi_byte(void) { return MPI_BYTE; }
static inline MPI_Op cmpi_op_sum(void) { return MPI_SUM; }
static inline MPI_Op cmpi_op_max(void) { return MPI_MAX; }
static inline MPI_Op cmpi_op_min(void) { return MPI_MIN; }
static inline void *cmpi_in_place(void) { return MPI_IN_PLACE; }
static inline int cmpi_success(void) { return MPI_SUCCESS; }
static inline int cmpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int cmpi_max_library_version_string(void) { return MPI_MAX_LIBRARY_VERSION_STRING; }
static inline int cmpi_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }
static inline int cmpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline int cmpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int cmpi_thread_single(void) { return MPI_THREAD_SINGLE; }
static inline MPI_Errhandler cmpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int cmpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline MPI_Info cmpi_info_null(void) { return MPI_INFO_NULL; }

/// Keeps large temporary buffers on the heap instead of fresh mmaps (docs/PERFORMANCE.md: large
/// all-reduces otherwise collapse to ~2 GB/s because every call page-faults new memory).
static inline void cmpi_tune_malloc(void) {
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, 0x7fffffff);
}

/// Publishes `value` to the other ranks of the node: every store before it is visible to a
/// rank that reads `value` with `cmpi_load_acquire` (the shared-memory barrier's arrival flag).
static inline void cmpi_store_release(int64_t *address, int64_t value) {
    __atomic_store_n(address, value, __ATOMIC_RELEASE);
}

/// Reads a flag another rank published with `cmpi_store_release`.
static inline int64_t cmpi_load_acquire(const int64_t *address) {
    return __atomic_load_n(address, __ATOMIC_ACQUIRE);
}

/// Tells the CPU this is a spin-wait loop (x86 `pause`); a no-op elsewhere.
static inline void cmpi_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}
