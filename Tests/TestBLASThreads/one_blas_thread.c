// Test binaries run OpenBLAS on one thread per call, as every rank does (the rank's own threads
// split the products: RankThreads), set before any test starts so no test sees it change.
#include "one_blas_thread.h"

extern void openblas_set_num_threads(int);

__attribute__((constructor)) static void one_blas_thread(void) { openblas_set_num_threads(1); }

int test_blas_threads_configured(void) { return 1; }
