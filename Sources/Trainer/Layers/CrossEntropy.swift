// Mean softmax cross-entropy over all decoder positions and all V_img + 1 classes
// (optax.softmax_cross_entropy as in dalle-mini's train.py; docs/MODEL.md §4.6). The forward pass
// also leaves softmax - onehot behind, so backward is only the scale the LM head GEMMs apply.
import Foundation

enum CrossEntropy {
    /// Returns mean over rows of logsumexp(logits[r]) - logits[r, labels[r]]. Saves `logSumExp` per
    /// row and overwrites `gradient` with softmax(logits) - onehot(labels): the loss gradient
    /// d(sum of row losses)/d(logits). Callers scale it (by 1/N for the mean) in the next product,
    /// as `Linear.backward(scale:)` does.
    static func forward(
        logSumExp: UnsafeMutablePointer<Float>,  // (N)
        gradient: UnsafeMutablePointer<Float>,  // (N, V)
        logits: UnsafePointer<Float>,  // (N, V)
        labels: UnsafePointer<Int32>,  // (N)
        rows: Int, classes: Int
    ) -> Float {
        var total = 0.0
        for row in 0..<rows {
            let z = logits + row * classes
            let peak = VectorMath.maximum(z, classes)
            let e = gradient + row * classes
            for c in 0..<classes { e[c] = fastExp(z[c] - peak) }
            let sum = VectorMath.sum(e, classes)
            VectorMath.scale(e, by: 1 / sum, classes)
            let label = Int(labels[row])
            e[label] -= 1
            let lse = peak + Float(log(Double(sum)))
            logSumExp[row] = lse
            total += Double(lse - z[label])
        }
        return Float(total / Double(rows))
    }
}
