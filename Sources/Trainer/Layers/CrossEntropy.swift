// Softmax cross-entropy per row over all V_img + 1 classes (optax.softmax_cross_entropy as in
// dalle-mini's train.py; docs/MODEL.md §4.6), computed in place over a chunk of logits.
import Foundation

enum CrossEntropy {
    /// Overwrites each row of `logits` with softmax(row) - onehot(label) (the gradient of that
    /// row's loss) and returns the sum over rows of logsumexp(row) - row[label], in Double, added
    /// row by row in order onto `total`. `losses` (N) receives each row's loss; the rows are
    /// spread over the rank's threads (each row's values are independent of the split).
    static func lossAndGradient(
        inPlace logits: UnsafeMutablePointer<Float>,  // (N, V)
        labels: UnsafePointer<Int32>,  // (N)
        losses: UnsafeMutablePointer<Float>,  // (N)
        rows: Int, classes: Int, total: Double = 0
    ) -> Double {
        WorkerPool.current.forEachRange(rows, minimum: 16) { range in
            for row in range {
                let z = logits + row * classes
                let label = Int(labels[row])
                let target = z[label]
                let peak = VectorMath.maximum(z, classes)
                for c in 0..<classes { z[c] = fastExp(z[c] - peak) }
                let sum = VectorMath.sum(z, classes)
                VectorMath.scale(z, by: 1 / sum, classes)
                z[label] -= 1
                losses[row] = peak + Float(log(Double(sum))) - target
            }
        }
        var total = total
        for row in 0..<rows { total += Double(losses[row]) }
        return total
    }
}
