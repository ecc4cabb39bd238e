// How image tokens are chosen, as dalle-mini's `generate` arguments: condition scale, temperature,
// top-k, top-p, an optional min_length, and the seed of the project's own sampling stream.

/// Generation settings; `validate()` rejects values dalle-mini's warpers cannot use.
public struct SamplingSettings: Sendable, Equatable, Codable {
    /// Super-conditioning scale s: scores = u + s·(c − u); 1 skips the unconditional pass.
    public var conditionScale: Float = 10
    /// Keep the k best scores (dalle-mini's `top_k=None` falls back to 50).
    public var topK: Int = 50
    /// Keep the smallest set of best tokens whose probability reaches p (1: off).
    public var topP: Float = 1
    /// Scores are divided by this before top-k (1: off).
    public var temperature: Float = 1
    /// transformers' `min_length`: the EOS id is forbidden while the sequence length is ≤ this.
    public var minLength: Int? = nil
    /// Seed of the sampling stream (NOTE(divergence): not JAX's threefry stream).
    public var seed: UInt64 = 0

    enum CodingKeys: String, CodingKey {
        case conditionScale = "condition_scale", topK = "top_k", topP = "top_p", temperature
        case minLength = "min_length", seed
    }

    public init(
        conditionScale: Float = 10, topK: Int = 50, topP: Float = 1, temperature: Float = 1,
        minLength: Int? = nil, seed: UInt64 = 0
    ) {
        self.conditionScale = conditionScale
        self.topK = topK
        self.topP = topP
        self.temperature = temperature
        self.minLength = minLength
        self.seed = seed
    }

    /// Throws a `SetupError` naming the first setting outside its range.
    public func validate() throws {
        guard conditionScale.isFinite, conditionScale > 0 else {
            throw SetupError("--condition-scale \(conditionScale): must be a finite number above 0")
        }
        guard topK >= 1 else { throw SetupError("--top-k \(topK): must be at least 1") }
        guard topP.isFinite, topP > 0, topP <= 1 else {
            throw SetupError("--top-p \(topP): must be in (0, 1]")
        }
        guard temperature.isFinite, temperature > 0 else {
            throw SetupError("--temperature \(temperature): must be a finite number above 0")
        }
        if let minLength, minLength < 0 { throw SetupError("min_length \(minLength): must not be negative") }
    }
}
