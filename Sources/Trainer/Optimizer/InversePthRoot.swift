// Distributed Shampoo's inverse p-th root of one statistic, padded to its instance's size with an
// identity block: power iteration for the top eigenvalue, then the coupled Newton iteration
// (`matrix_inverse_pth_root` of dalle-mini's scalable_shampoo), all in float32.
import Foundation

/// Computes `(S_pad + ε·I)^(-1/p)` where `S_pad = [[S, 0], [0, I]]` is the n × n statistic `S`
/// padded to N × N, and keeps the top-left n × n block.
///
/// The padding is never materialised: the identity block stays a multiple of the identity through
/// every iteration, so it is carried as one scalar. Norms, the eigenvalue and the error still
/// include it exactly as the N × N computation would:
/// ```
/// λ = top eigenvalue of S_pad (power iteration, ≤ 100 steps, tolerance 1e-6, numpy's
///     RandomState(1729).uniform(-1, 1, N) start)      ε = 1e-6 · max(λ, 1e-6)
/// D = S_pad + ε·I    z = (1 + p) / (2·‖D‖_F)    M = z·D    H = z^(1/p)·I
/// repeat (≤ 100, while max|M − I| > 1e-6 and the error grew by less than 1.2×):
///     Mᵢ = (1 − α)·I + α·M  (α = −1/p)    M = Mᵢ^p · M    H = H · Mᵢ
/// result H (or the H before the last step when that step raised the error)
/// ```
public final class InversePthRoot {
    /// The outcome of one root.
    public struct Result: Equatable, Sendable {
        /// max |M − I| after the last iteration (0 for a 1 × 1 padded size).
        public var error: Float
        /// Newton iterations run.
        public var iterations: Int
        /// λ from the power iteration.
        public var maxEigenvalue: Float
        /// ε added to the diagonal.
        public var ridge: Float
    }

    /// Largest unpadded size this instance can take.
    public let capacity: Int
    /// Ridge relative to λ (`matrix_epsilon`).
    public let matrixEpsilon: Float
    private let startVector: [Float]
    private let buffers: UnsafeMutablePointer<Float>
    private static let bufferCount = 8

    /// Scratch for statistics up to `capacity` × `capacity`, padded sizes up to `paddedCapacity`.
    public init(capacity: Int, paddedCapacity: Int, matrixEpsilon: Float = 1e-6) {
        precondition(capacity >= 1 && paddedCapacity >= capacity, "root sizes \(capacity), \(paddedCapacity)")
        self.capacity = capacity
        self.matrixEpsilon = matrixEpsilon
        startVector = numpyUniformStartVector(seed: 1729, count: paddedCapacity)
        buffers = .allocate(capacity: Self.bufferCount * capacity * capacity + capacity)
        buffers.initialize(repeating: 0, count: Self.bufferCount * capacity * capacity + capacity)
    }

    deinit { buffers.deallocate() }

    /// Writes the n × n root of `statistic` (n × n, padded to `paddedSize`) to `out`.
    public func compute(
        out: UnsafeMutablePointer<Float>,  // (n, n)
        statistic: UnsafePointer<Float>,  // (n, n)
        size n: Int, paddedSize: Int, exponent p: Int
    ) -> Result {
        precondition(n >= 1 && n <= capacity && paddedSize >= n, "root of \(n) padded to \(paddedSize)")
        precondition(paddedSize <= startVector.count, "padded size \(paddedSize) > \(startVector.count)")
        precondition(p >= 1, "exponent \(p)")
        let padCount = Float(paddedSize - n)
        let maxEigenvalue = powerIteration(statistic, size: n, paddedSize: paddedSize)
        let ridge = matrixEpsilon * max(maxEigenvalue, 1e-6)
        let alpha = -1 / Float(p)
        if paddedSize == 1 {
            out[0] = powf(statistic[0] + ridge, alpha)
            return Result(error: 0, iterations: 0, maxEigenvalue: maxEigenvalue, ridge: ridge)
        }
        let count = n * n
        var m = buffers
        var h = buffers + count
        var oldH = buffers + 2 * count
        let mi = buffers + 3 * count
        var power = buffers + 4 * count
        var base = buffers + 5 * count
        var spare = buffers + 6 * count
        var newM = buffers + 7 * count
        // D = S + ε·I and its Frobenius norm, the padding's (1 + ε)·I included.
        var squares: Float = 0
        for i in 0..<n {
            for j in 0..<n {
                let value = statistic[i * n + j] + (i == j ? ridge : 0)
                m[i * n + j] = value
                squares += value * value
            }
        }
        let padDiagonal = 1 + ridge
        squares += padCount * padDiagonal * padDiagonal
        let z = (1 + Float(p)) / (2 * squares.squareRoot())
        for i in 0..<count { m[i] *= z }
        var mPad = padDiagonal * z
        var error = distanceFromIdentity(m, n, pad: padCount > 0 ? mPad : nil)
        let h0 = powf(z, 1 / Float(p))
        setIdentity(h, n, scale: h0)
        setIdentity(oldH, n, scale: h0)
        var hPad = h0
        var iterations = 0
        var isConverging = true
        while iterations < 100 && error > 1e-6 && isConverging {
            // Mᵢ = (1 − α)·I + α·M, and its scalar on the padding.
            for i in 0..<count { mi[i] = alpha * m[i] }
            for i in 0..<n { mi[i * n + i] += 1 - alpha }
            let miPad = (1 - alpha) + alpha * mPad
            // Mᵢ^p by repeated squaring (mat_power: power ← base·power on odd bits), then
            // M ← Mᵢ^p · M.
            base.update(from: mi, count: count)
            var basePad = miPad
            var powerPad: Float = 1
            var hasPower = false
            var remaining = p
            while true {
                if remaining % 2 == 1 {
                    if hasPower {
                        multiply(spare, base, power, n)
                        swap(&spare, &power)
                    } else {
                        power.update(from: base, count: count)
                        hasPower = true
                    }
                    powerPad = basePad * powerPad
                }
                remaining /= 2
                if remaining == 0 { break }
                multiply(spare, base, base, n)
                swap(&spare, &base)
                basePad = basePad * basePad
            }
            multiply(newM, power, m, n)
            swap(&newM, &m)
            mPad = powerPad * mPad
            // H ← H · Mᵢ; the previous H is kept for a diverging last step.
            multiply(spare, h, mi, n)
            swap(&oldH, &h)
            swap(&h, &spare)
            hPad = hPad * miPad
            let newError = distanceFromIdentity(m, n, pad: padCount > 0 ? mPad : nil)
            isConverging = newError < error * 1.2
            error = newError
            iterations += 1
        }
        out.update(from: isConverging ? h : oldH, count: count)
        return Result(error: error, iterations: iterations, maxEigenvalue: maxEigenvalue, ridge: ridge)
    }

    /// The power iteration on `S_pad` with the padding's share of the vector carried as its
    /// squared norm (the identity block leaves it unchanged).
    private func powerIteration(_ statistic: UnsafePointer<Float>, size n: Int, paddedSize: Int) -> Float {
        let v = buffers
        let product = buffers + n * n
        for i in 0..<n { v[i] = startVector[i] }
        var padSquares: Float = 0
        for i in n..<paddedSize { padSquares += startVector[i] * startVector[i] }
        var eigenvalue: Float = 0
        var iteration = 0
        var isRunning = true
        while iteration < 100 && isRunning {
            var squares = padSquares
            for i in 0..<n { squares += v[i] * v[i] }
            let norm = squares.squareRoot()
            for i in 0..<n { v[i] /= norm }
            padSquares /= squares
            Linear.product(
                rows: n, columns: 1, inner: n, a: statistic, lda: n, b: v, ldb: 1, c: product, ldc: 1)
            var newEigenvalue = padSquares
            for i in 0..<n { newEigenvalue += v[i] * product[i] }
            v.update(from: product, count: n)
            isRunning = abs(newEigenvalue - eigenvalue) > 1e-6
            eigenvalue = newEigenvalue
            iteration += 1
        }
        return eigenvalue
    }

    private func multiply(
        _ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int
    ) {
        Linear.product(rows: n, columns: n, inner: n, a: a, lda: n, b: b, ldb: n, c: c, ldc: n)
    }

    private func setIdentity(_ matrix: UnsafeMutablePointer<Float>, _ n: Int, scale: Float) {
        matrix.update(repeating: 0, count: n * n)
        for i in 0..<n { matrix[i * n + i] = scale }
    }

    /// max |M − I| over the n × n block and, when padded, the padding's scalar.
    private func distanceFromIdentity(_ m: UnsafePointer<Float>, _ n: Int, pad: Float?) -> Float {
        var largest: Float = pad.map { abs($0 - 1) } ?? 0
        for i in 0..<n {
            for j in 0..<n {
                let difference = abs(m[i * n + j] - (i == j ? 1 : 0))
                if !(difference <= largest) { largest = difference }  // NaN propagates
            }
        }
        return largest
    }
}
