// How much memory the model needs for a batch, without allocating it (for `dalle-train plan`).

extension DalleBart {
    /// Floats the activation arena holds for `batchSize` rows (the same counting pass `init` runs).
    public static func activationCount(
        config: DalleBartConfig, batchSize: Int, recomputesLayers: Bool = false
    )
        -> Int
    {
        let layout = ParameterLayout(config: config)
        var counter = ArenaBuilder(base: nil)
        _ = ModelActivations(
            config: config, tensors: layout.tensors, batchSize: batchSize, recomputesLayers: recomputesLayers,
            arena: &counter)
        return counter.used
    }
}
