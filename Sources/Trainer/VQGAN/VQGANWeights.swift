// A VQGAN's parameters in one flat buffer: loaded from a vqgan-jax model directory
// (config.json + flax_model.msgpack, float32/float16/bfloat16 leaves) or drawn at random for
// benchmarks. Every tensor is checked by path, shape, dtype and finiteness.
import Foundation

/// The configuration, parameter table and parameter values of one VQGAN.
public final class VQGANWeights: @unchecked Sendable {
    /// The model's configuration.
    public let config: VQGANConfig
    /// Name, shape and offset of every tensor.
    public let layout: VQGANLayout
    /// The values, in `layout` order.
    public let buffer: FlatBuffer

    /// Zero weights for `config` (validated here).
    public init(config: VQGANConfig) throws {
        try config.validate()
        self.config = config
        layout = VQGANLayout(config: config)
        buffer = FlatBuffer(count: layout.count)
    }

    /// Reads `config.json` and `flax_model.msgpack` from a vqgan-jax model directory.
    public convenience init(directory: URL) throws {
        let config = try VQGANConfig.load(from: directory.appendingPathComponent("config.json"))
        try self.init(config: config)
        try load(msgpack: directory.appendingPathComponent("flax_model.msgpack").path)
    }

    /// Random weights with the magnitudes of flax's default init (lecun-normal kernels, zero
    /// biases, unit norm scales, uniform codebook), deterministic in `seed`.
    public static func random(config: VQGANConfig, seed: UInt64) throws -> VQGANWeights {
        let weights = try VQGANWeights(config: config)
        let random = CounterRandom(seed, 0x5147_4741_4e)
        for (t, entry) in weights.layout.entries.enumerated() {
            let values = weights.buffer.pointer + entry.offset
            let stream = t << 40
            if entry.name.hasSuffix(".kernel") {
                let fanIn = entry.shape.dropLast().reduce(1, *)
                let std = Float(1 / Double(fanIn).squareRoot())
                for i in 0..<entry.count { values[i] = std * random.normal(stream + i) }
            } else if entry.name.hasSuffix(".scale") {
                values.update(repeating: 1, count: entry.count)
            } else if entry.name.hasSuffix("embedding") {
                let bound = 1 / Float(config.codebookSize)
                for i in 0..<entry.count { values[i] = bound * (2 * random.uniform(stream + i) - 1) }
            }
        }
        return weights
    }

    /// Pointer to the first element of the tensor at `offset`.
    @inline(__always)
    func pointer(_ offset: Int) -> UnsafePointer<Float> { UnsafePointer(buffer.pointer + offset) }

    /// Fills the buffer from a flax msgpack file; throws `ModelIOError` naming `path` and the
    /// tensor for a missing, extra, misshapen, non-float or non-finite tensor or a damaged file.
    func load(msgpack path: String) throws {
        let file = try MappedFile(path: path)
        var leaves: [String: FlaxLeaf] = [:]
        for leaf in try FlaxTree.leaves(in: file.bytes, path: path) {
            let names = leaf.path.first == "params" ? Array(leaf.path.dropFirst()) : leaf.path
            leaves[names.joined(separator: ".")] = leaf
        }
        let expected = Set(layout.entries.map(\.name))
        if let extra = leaves.keys.sorted().first(where: { !expected.contains($0) }) {
            throw ModelIOError(
                file: path, location: extra,
                "tensor not part of the configured model (check config.json's ch_mult, num_res_blocks, attn_resolutions)"
            )
        }
        for entry in layout.entries {
            guard let leaf = leaves[entry.name] else {
                throw ModelIOError(file: path, location: entry.name, "missing tensor of shape \(entry.shape)")
            }
            guard leaf.shape == entry.shape else {
                throw ModelIOError(
                    file: path, location: entry.name,
                    "shape \(leaf.shape), the configuration needs \(entry.shape)")
            }
            let destination = buffer.pointer + entry.offset
            switch leaf.dtype {
            case .float32:
                try file.read(destination, count: leaf.data.count, at: leaf.data.lowerBound)
            case .float16, .bfloat16:
                let raw = UnsafeMutableRawPointer.allocate(byteCount: max(leaf.data.count, 1), alignment: 16)
                defer { raw.deallocate() }
                try file.read(raw, count: leaf.data.count, at: leaf.data.lowerBound)
                HalfPrecision.widen(destination, from: raw, count: entry.count, dtype: leaf.dtype)
            default:
                throw ModelIOError(
                    file: path, location: entry.name,
                    "dtype \(leaf.dtype.rawValue); expected float32, float16 or bfloat16")
            }
            if let bad = HalfPrecision.firstNonFinite(destination, count: entry.count) {
                throw ModelIOError(file: path, location: entry.name, "element \(bad) is \(destination[bad])")
            }
        }
    }
}
