// Dense layers y = x·W (+ b) with kernels stored (in, out) as in Flax; all matrix products
// go through cblas_sgemm here. The only file that imports CBLAS.
import CBLAS

/// Facts about the BLAS library this process runs with (for `dalle-train env` and `bench`).
public enum BLASInfo {
    /// The kernel family OpenBLAS selected, e.g. "Haswell" or "Cooperlake".
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// Threads OpenBLAS uses for one call.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// Sets the number of threads OpenBLAS uses for one call.
    public static func setThreadCount(_ count: Int) { openblas_set_num_threads(Int32(count)) }
}
