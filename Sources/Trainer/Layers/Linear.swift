// Dense layers y = x·W (+ b) with kernels stored (in, out) as in Flax; all matrix products
// go through cblas_sgemm here. The only file that imports CBLAS.
import CBLAS
import Dispatch

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

    /// Best GFLOP/s of `repeats` square sgemm calls of `size`: a lower bound of the FP32 peak.
    public static func measureSgemmGFLOPs(size: Int = 1536, repeats: Int = 5) -> Double {
        let count = size * size
        let a = UnsafeMutablePointer<Float>.allocate(capacity: 3 * count)
        defer { a.deallocate() }
        for i in 0..<3 * count { a[i] = Float(i % 7) * 0.1 }
        var best = 0.0
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            Linear.product(
                rows: size, columns: size, inner: size, a: a, lda: size, b: a + count, ldb: size,
                c: a + 2 * count,
                ldc: size)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = max(best, 2 * Double(count) * Double(size) / seconds / 1e9)
        }
        return best
    }
}

/// Whether a backward pass adds into an input gradient or replaces it (for scratch buffers).
enum GradientMode {
    case accumulate, overwrite
    var beta: Float { self == .accumulate ? 1 : 0 }
}

/// Dense layer y = x·W + b (flax nn.Dense), kernel (in, out), row-major.
enum Linear {
    /// out = input · kernel + bias.
    static func forward(
        out: UnsafeMutablePointer<Float>,  // (N, out)
        input: UnsafePointer<Float>,  // (N, in)
        kernel: UnsafePointer<Float>,  // (in, out)
        bias: UnsafePointer<Float>?,  // (out)
        rows: Int, inputs: Int, outputs: Int
    ) {
        product(
            rows: rows, columns: outputs, inner: inputs, a: input, lda: inputs, b: kernel, ldb: outputs,
            c: out, ldc: outputs)
        guard let bias else { return }
        for row in 0..<rows { VectorMath.add(bias, into: out + row * outputs, outputs) }
    }

    /// Accumulates dKernel += inputᵀ·dOut' and dBias += Σ_rows dOut'; dInput += dOut'·kernelᵀ
    /// (or = with `.overwrite`), where dOut' = scale · dOut. `dInput` nil skips the input gradient.
    static func backward(
        dInput: UnsafeMutablePointer<Float>?,  // (N, in)
        dKernel: UnsafeMutablePointer<Float>,  // (in, out)
        dBias: UnsafeMutablePointer<Float>?,  // (out)
        dOut: UnsafePointer<Float>,  // (N, out)
        input: UnsafePointer<Float>,  // (N, in)
        kernel: UnsafePointer<Float>,  // (in, out)
        rows: Int, inputs: Int, outputs: Int, inputMode: GradientMode = .accumulate, scale: Float = 1
    ) {
        if let dInput {
            product(
                rows: rows, columns: inputs, inner: outputs, a: dOut, lda: outputs, b: kernel, ldb: outputs,
                c: dInput, ldc: inputs, transposeB: true, alpha: scale, beta: inputMode.beta)
        }
        product(
            rows: inputs, columns: outputs, inner: rows, a: input, lda: inputs, b: dOut, ldb: outputs,
            c: dKernel, ldc: outputs, transposeA: true, alpha: scale, beta: 1)
        guard let dBias else { return }
        for row in 0..<rows {
            VectorMath.scaledAdd(out: dBias, dOut + row * outputs, alpha: scale, dBias, outputs)
        }
    }

    /// c = alpha · op(a)·op(b) + beta · c, row-major, with leading dimensions (strided head views).
    /// op(a) is (rows, inner), op(b) is (inner, columns).
    static func product(
        rows: Int, columns: Int, inner: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        transposeA: Bool = false, transposeB: Bool = false, alpha: Float = 1, beta: Float = 0
    ) {
        guard rows > 0, columns > 0 else { return }
        guard inner > 0 else {
            if beta == 0 { for row in 0..<rows { (c + row * ldc).update(repeating: 0, count: columns) } }
            return
        }
        let pool = WorkerPool.current
        let split = ProductSplit(rows: rows, columns: columns, inner: inner, threads: pool.threadCount)
        // One part (one thread, or a product too small to split) runs here as one call.
        pool.run(parts: split.parts) { part, _ in
            let range = split.range(of: part)
            let first = range.lowerBound
            let byRows = split.alongRows
            sgemm(
                rows: byRows ? range.count : rows, columns: byRows ? columns : range.count, inner: inner,
                a: byRows ? (transposeA ? a + first : a + first * lda) : a, lda: lda,
                b: byRows ? b : (transposeB ? b + first * ldb : b + first), ldb: ldb,
                c: byRows ? c + first * ldc : c + first, ldc: ldc, transposeA: transposeA,
                transposeB: transposeB, alpha: alpha, beta: beta)
        }
    }

    /// One cblas_sgemm call (row-major), as `product` describes.
    private static func sgemm(
        rows: Int, columns: Int, inner: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        transposeA: Bool, transposeB: Bool, alpha: Float, beta: Float
    ) {
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(rows), Int32(columns), Int32(inner), alpha, a, Int32(lda), b, Int32(ldb), beta, c,
            Int32(ldc))
    }
}
