// Analytic FLOP count of one training step (forward + backward) for throughput and MFU figures.

/// Floating-point work of the model per step, counted from the matrix products.
public enum ModelCost {
    /// FLOPs of one forward pass over `rows` batch rows: 2 per multiply-add of every projection,
    /// attention product (full Tq x Tk, as computed, including the causal upper half) and the LM head.
    public static func forwardFLOPs(_ config: DalleBartConfig, rows: Int) -> Double {
        let (S, T, D) = (Double(config.maxTextLength), Double(config.imageLength), Double(config.dModel))
        let (encoderRows, decoderRows) = (Double(rows) * S, Double(rows) * T)
        let branches = config.useGLU ? 3.0 : 2.0
        let encoderLayer = encoderRows * (4 * D * D + 2 * S * D + branches * D * Double(config.encoderFFNDim))
        let decoderLayer =
            decoderRows
            * (4 * D * D + 2 * T * D + 2 * D * D + 2 * S * D + branches * D * Double(config.decoderFFNDim))
            + encoderRows * 2 * D * D
        let head = decoderRows * D * Double(config.imageClasses)
        return 2
            * (Double(config.encoderLayers) * encoderLayer + Double(config.decoderLayers) * decoderLayer
                + head)
    }

    /// FLOPs of forward + backward (backward = 2 x forward: input and weight gradients).
    public static func trainingFLOPs(_ config: DalleBartConfig, rows: Int) -> Double {
        3 * forwardFLOPs(config, rows: rows)
    }
}
