// The one parameter table: Flax name, shape, offset and count of every tensor in one flat buffer.
// Parameters, gradients and optimizer moments all use it; names are dalle-mini's per-layer Flax
// paths joined with "." (docs/MODEL.md §2.1-2.3), so no key rewriting is needed anywhere.

/// One tensor of the flat buffer.
public struct ParameterEntry: Equatable, Sendable {
    /// Flax path joined with ".", e.g. `model.decoder.layers.FlaxBartDecoderLayer_0.GLU_0.Dense_0.kernel`.
    public var name: String
    public var shape: [Int]
    /// First element inside the flat buffer.
    public var offset: Int
    /// Number of elements (product of `shape`).
    public var count: Int
}

/// Ordered (name, shape, offset) table over one flat Float buffer, built from a `DalleBartConfig`.
/// Parameter-free norms (RMSNorm without scale) are applied by the model but have no entry here.
public struct ParameterLayout: Sendable {
    /// Every tensor in buffer order; offsets are contiguous.
    public let entries: [ParameterEntry]
    /// Total number of Floats.
    public let count: Int
    /// Typed offsets for the model's kernels (built in the same pass as `entries`).
    let tensors: ModelTensors
    private let index: [String: Int]

    /// Builds the table for `config` (which should be validated).
    public init(config: DalleBartConfig) {
        var builder = LayoutBuilder()
        tensors = ModelTensors(config: config, builder: &builder)
        entries = builder.entries
        count = builder.count
        index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    /// The entry named `name`, or nil.
    public func entry(named name: String) -> ParameterEntry? { index[name].map { entries[$0] } }

    /// Number of tensors.
    public var tensorCount: Int { entries.count }

    /// The elements of tensor `name` inside `buffer` (nil when the layout has no such tensor).
    public func view(_ name: String, in buffer: FlatBuffer) -> UnsafeMutableBufferPointer<Float>? {
        precondition(buffer.count == count, "buffer of \(buffer.count) Floats for a layout of \(count)")
        guard let entry = entry(named: name) else { return nil }
        return UnsafeMutableBufferPointer(start: buffer.pointer + entry.offset, count: entry.count)
    }
}

/// Appends entries with contiguous offsets.
struct LayoutBuilder {
    var entries: [ParameterEntry] = []
    var count = 0

    mutating func add(_ name: String, _ shape: [Int]) -> Int {
        let elements = shape.reduce(1, *)
        entries.append(ParameterEntry(name: name, shape: shape, offset: count, count: elements))
        count += elements
        return count - elements
    }
}
