// The constructor in one_blas_thread.c sets OpenBLAS to one thread before any test runs.
#pragma once

/// Always 1: referenced by TestSupport so the object file is linked into every test binary.
int test_blas_threads_configured(void);
