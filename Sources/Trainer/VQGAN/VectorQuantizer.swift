// The VQGAN's nearest-codebook quantizer (vqgan-jax VectorQuantizer): squared distances as the
// expansion ‖z‖² + ‖e‖² − 2·z·e in float32, argmin with the lowest index winning ties.

/// Nearest codebook rows for a grid of latent vectors.
enum VectorQuantizer {
    /// ‖e_j‖² for every codebook row, computed once per model.
    static func squaredNorms(
        _ out: UnsafeMutablePointer<Float>,  // (K)
        codebook: UnsafePointer<Float>,  // (K, D)
        size: Int, dimension: Int
    ) {
        for j in 0..<size {
            out[j] = VectorMath.dot(codebook + j * dimension, codebook + j * dimension, dimension)
        }
    }

    /// codes[n] = argmin_j d(n, j), d = (‖z_n‖² + ‖e_j‖²) − 2·(z_n·e_j), lowest j on equal minima;
    /// `distances[n]` receives d at the chosen code. The codebook is scanned in chunks of
    /// `scratchCount / N` rows, one GEMM each.
    static func nearest(
        codes: UnsafeMutablePointer<Int32>,  // (N)
        distances: UnsafeMutablePointer<Float>,  // (N)
        latents: UnsafePointer<Float>,  // (N, D)
        codebook: UnsafePointer<Float>,  // (K, D)
        codebookNorms: UnsafePointer<Float>,  // (K)
        scratch: UnsafeMutablePointer<Float>, scratchCount: Int,
        count n: Int, size: Int, dimension: Int
    ) {
        let chunk = max(1, min(size, scratchCount / max(n, 1)))
        precondition(scratchCount >= n * chunk, "quantizer scratch \(scratchCount) < \(n) x \(chunk)")
        codes.update(repeating: 0, count: n)
        distances.update(repeating: .infinity, count: n)
        var first = 0
        while first < size {
            let rows = min(chunk, size - first)
            Linear.product(
                rows: n, columns: rows, inner: dimension, a: latents, lda: dimension,
                b: codebook + first * dimension, ldb: dimension, c: scratch, ldc: rows, transposeB: true)
            for i in 0..<n {
                let z = latents + i * dimension
                let zNorm = VectorMath.dot(z, z, dimension)
                let dots = scratch + i * rows
                var bestIndex = Int(codes[i])
                var bestDistance = distances[i]
                for j in 0..<rows {
                    let d = distance(zNorm, codebookNorms[first + j], dots[j])
                    if d < bestDistance {
                        bestDistance = d
                        bestIndex = first + j
                    }
                }
                codes[i] = Int32(bestIndex)
                distances[i] = bestDistance
            }
            first += rows
        }
    }

    /// The expansion, in the reference's order of operations.
    @inline(__always)
    static func distance(_ latentNorm: Float, _ codeNorm: Float, _ dot: Float) -> Float {
        (latentNorm + codeNorm) - 2 * dot
    }
}
