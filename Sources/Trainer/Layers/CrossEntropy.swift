// Mean softmax cross-entropy over all decoder positions and all V_img + 1 classes
// (optax.softmax_cross_entropy as in dalle-mini's train.py; DALLEBART.md §4.7). Fused backward.
import Foundation

enum CrossEntropy {
    /// Returns mean over rows of logsumexp(logits[r]) - logits[r, labels[r]]. Saves `logSumExp` per row.
    static func forward(
        logSumExp: UnsafeMutablePointer<Float>,  // (N)
        logits: UnsafePointer<Float>,  // (N, V)
        labels: UnsafePointer<Int32>,  // (N)
        rows: Int, classes: Int
    ) -> Float {
        var total = 0.0
        for row in 0..<rows {
            let z = logits + row * classes
            var peak = -Float.infinity
            for c in 0..<classes { peak = max(peak, z[c]) }
            var sum = SIMD16<Float>()
            var c = 0
            while c + 16 <= classes {
                sum += vectorExp(load16(z + c) - peak)
                c += 16
            }
            var tail: Float = 0
            while c < classes {
                tail += scalarExp(z[c] - peak)
                c += 1
            }
            let lse = peak + Float(log(Double(sum.sum() + tail)))
            logSumExp[row] = lse
            total += Double(lse - z[Int(labels[row])])
        }
        return Float(total / Double(rows))
    }

    /// dLogits = (softmax(logits) - onehot(labels)) * scale (overwrites; scale is 1/N times the
    /// caller's gradient scale for the mean loss).
    static func backward(
        dLogits: UnsafeMutablePointer<Float>,  // (N, V)
        logits: UnsafePointer<Float>,  // (N, V)
        logSumExp: UnsafePointer<Float>,  // (N)
        labels: UnsafePointer<Int32>,  // (N)
        scale: Float, rows: Int, classes: Int
    ) {
        for row in 0..<rows {
            let z = logits + row * classes
            let dz = dLogits + row * classes
            let lse = logSumExp[row]
            var c = 0
            while c + 16 <= classes {
                store16(vectorExp(load16(z + c) - lse) * scale, dz + c)
                c += 16
            }
            while c < classes {
                dz[c] = scalarExp(z[c] - lse) * scale
                c += 1
            }
            dz[Int(labels[row])] -= scale
        }
    }
}
