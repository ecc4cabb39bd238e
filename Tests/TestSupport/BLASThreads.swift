// Links the C constructor that runs OpenBLAS on one thread per call in every test binary.
import TestBLASThreads

/// True once the constructor in TestBLASThreads is linked in (it runs before any test).
public let testBinaryLinksOneBLASThread = test_blas_threads_configured() == 1
