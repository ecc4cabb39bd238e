// The LM head (decoder output · lm_head, no bias) and the mean cross-entropy fused over chunks of
// rows: only one chunk's logits exist at a time, and in training each chunk's softmax - onehot
// feeds both head gradients before the next chunk is computed, so no (rows, classes) buffer is kept.

/// Where the fused head puts its gradients: dHidden is overwritten, dKernel accumulated, both
/// with `scale` (the caller's gradient scale over the number of rows of the mean).
struct HeadGradients {
    let dHidden: UnsafeMutablePointer<Float>  // (N, D)
    let dKernel: UnsafeMutablePointer<Float>  // (D, V)
    let scale: Float
}

enum LanguageModelHead {
    /// Rows per chunk: 512 rows of 16,385 classes are 32 MiB, the size of the shared L3 cache; of
    /// 64 to 2,048 rows, 512 made the head of `small` at batch 8 fastest (docs/performance-model.md).
    static let chunkRows = 512

    /// Floats of the chunk buffer for up to `rows` rows.
    static func chunkCount(rows: Int, classes: Int, chunkRows: Int = chunkRows) -> Int {
        min(rows, chunkRows) * (classes + 1)
    }

    /// Returns the mean over rows of the cross-entropy of hidden · kernel against `labels`; with
    /// `gradients`, also its gradients (as `HeadGradients` describes). `chunk` holds
    /// `chunkCount(rows:classes:chunkRows:)` floats: a chunk's logits, then its rows' losses.
    static func forward(
        hidden: UnsafePointer<Float>,  // (N, D)
        kernel: UnsafePointer<Float>,  // (D, V)
        labels: UnsafePointer<Int32>,  // (N)
        chunk: UnsafeMutablePointer<Float>,
        rows: Int, channels: Int, classes: Int, gradients: HeadGradients?, chunkRows: Int = chunkRows
    ) -> Float {
        let (D, V) = (channels, classes)
        var total = 0.0
        for first in stride(from: 0, to: rows, by: chunkRows) {
            let n = min(chunkRows, rows - first)
            let input = hidden + first * D
            Linear.forward(
                out: chunk, input: input, kernel: kernel, bias: nil, rows: n, inputs: D, outputs: V)
            total = CrossEntropy.lossAndGradient(
                inPlace: chunk, labels: labels + first, losses: chunk + n * V, rows: n, classes: V,
                total: total)
            guard let gradients else { continue }
            Linear.backward(
                dInput: gradients.dHidden + first * D, dKernel: gradients.dKernel, dBias: nil, dOut: chunk,
                input: input, kernel: kernel, rows: n, inputs: D, outputs: V, inputMode: .overwrite,
                scale: gradients.scale)
        }
        return Float(total / Double(rows))
    }
}
