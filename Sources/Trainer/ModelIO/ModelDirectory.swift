// dalle-mini model directories (what `DalleBart.save_pretrained` writes): config.json plus
// flax_model.msgpack, and the tokenizer files. Reading: config alone, or the weights streamed
// from the file straight into a flat parameter buffer, checked tensor by tensor.
import Foundation

/// A dalle-mini model directory: `config.json` + `flax_model.msgpack` (+ tokenizer files).
public enum ModelDirectory {
    public static let configFile = "config.json"
    public static let weightsFile = "flax_model.msgpack"
    /// Tokenizer files `save_pretrained` writes; copied on export when present.
    public static let tokenizerFiles = [
        "tokenizer.json", "vocab.json", "merges.txt", "special_tokens_map.json", "tokenizer_config.json",
    ]

    /// What an import found in the file.
    public struct ImportSummary: Sendable {
        public var layout: FlaxLayerLayout
        /// The dtypes of the file's tensors (one in every file dalle-mini writes).
        public var dtypes: [FlaxDType]
        public var tensorCount: Int
        public var fileByteCount: Int

        /// True when the tensors are float16: dalle-mini then computes the embedding lookups in
        /// float16 (`DalleBart.roundsEmbeddingsToFloat16`).
        public var embeddingsInFloat16: Bool { dtypes == [.float16] }
    }

    /// True when `directory` holds `flax_model.msgpack`.
    public static func hasWeights(_ directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(weightsFile).path)
    }

    /// The directory's `config.json` (the weights are not read).
    public static func config(_ directory: URL) throws -> DalleBartConfig {
        try DalleBartConfig.load(contentsOf: directory.appendingPathComponent(configFile))
    }

    /// Reads `directory/flax_model.msgpack` into `parameters`, in the layer layout `config`
    /// announces. Throws `ModelIOError` (file, tensor path, expectation) for a missing or extra
    /// tensor, a wrong shape, a dtype other than float32/float16/bfloat16, a non-finite value or a
    /// malformed file; `parameters` then holds no usable model.
    @discardableResult
    public static func loadWeights(
        _ directory: URL, config: DalleBartConfig, layout: ParameterLayout, into parameters: FlatBuffer
    ) throws -> ImportSummary {
        precondition(
            parameters.count == layout.count, "buffer of \(parameters.count) for a layout of \(layout.count)")
        let path = directory.appendingPathComponent(weightsFile).path
        let file = try MappedFile(path: path)
        let leaves = try FlaxTree.leaves(in: file.bytes, path: path)
        let flaxLayout = FlaxLayerLayout(config: config)
        let plan = try match(leaves, layout.flaxTensors(flaxLayout), path: path, layout: flaxLayout)
        var scratch: [UInt16] = []
        for (tensor, leaf) in plan {
            var offset = leaf.data.lowerBound
            for (layerIndex, slice) in tensor.slices.enumerated() {
                let destination = parameters.pointer + slice.offset
                let byteCount = slice.count * leaf.dtype.byteCount
                if leaf.dtype == .float32 {
                    try file.read(destination, count: byteCount, at: offset)
                } else {
                    try widen(
                        file, at: offset, count: slice.count, dtype: leaf.dtype, into: destination, &scratch)
                }
                if let bad = HalfPrecision.firstNonFinite(destination, count: slice.count) {
                    let element =
                        (tensor.slices.count > 1 ? [layerIndex] : [])
                        + unflatten(bad, slice.shape)
                    throw ModelIOError(
                        file: path, location: leaf.name,
                        "non-finite value \(destination[bad]) at index \(element); weights must be finite")
                }
                offset += byteCount
            }
        }
        return ImportSummary(
            layout: flaxLayout, dtypes: Array(Set(leaves.map(\.dtype))).sorted { $0.rawValue < $1.rawValue },
            tensorCount: leaves.count, fileByteCount: file.bytes.count)
    }

    /// Pairs every expected tensor with its leaf, checking names, shapes and dtypes before any
    /// data is read.
    static func match(_ leaves: [FlaxLeaf], _ expected: [FlaxTensor], path: String, layout: FlaxLayerLayout)
        throws -> [(FlaxTensor, FlaxLeaf)]
    {
        var byName: [String: FlaxLeaf] = [:]
        for leaf in leaves {
            guard byName.updateValue(leaf, forKey: leaf.name) == nil else {
                throw ModelIOError(file: path, location: leaf.name, "the tensor appears twice")
            }
        }
        let otherLayout = layout == .scan ? "per-layer (FlaxBart*Layer_<i>)" : "stacked (FlaxBart*Layers)"
        let hint = { (name: String) -> String in
            leaves.contains { $0.name.contains(layout == .scan ? "Layer_0/" : "Layers/") }
                ? "; the file holds the \(otherLayout) layout but config.json's use_scan announces the other"
                : ""
        }
        var plan: [(FlaxTensor, FlaxLeaf)] = []
        for tensor in expected {
            guard let leaf = byName.removeValue(forKey: tensor.name) else {
                throw ModelIOError(
                    file: path, location: tensor.name,
                    "missing: the model of config.json (\(layout.rawValue) layout) needs this tensor of shape "
                        + "\(tensor.shape)\(hint(tensor.name))")
            }
            guard leaf.shape == tensor.shape else {
                throw ModelIOError(
                    file: path, location: tensor.name,
                    "shape \(leaf.shape), but config.json's model needs \(tensor.shape)")
            }
            guard [.float32, .float16, .bfloat16].contains(leaf.dtype) else {
                throw ModelIOError(
                    file: path, location: tensor.name,
                    "dtype \(leaf.dtype.rawValue); expected float32, float16 or bfloat16")
            }
            plan.append((tensor, leaf))
        }
        if let extra = leaves.first(where: { byName[$0.name] != nil }) {
            throw ModelIOError(
                file: path, location: extra.name,
                "unexpected tensor: the model of config.json (\(layout.rawValue) layout) has no such parameter"
                    + hint(extra.name))
        }
        return plan
    }

    private static func widen(
        _ file: MappedFile, at offset: Int, count: Int, dtype: FlaxDType,
        into destination: UnsafeMutablePointer<Float>,
        _ scratch: inout [UInt16]
    ) throws {
        let chunk = 1 << 20
        if scratch.count < min(count, chunk) { scratch = [UInt16](repeating: 0, count: min(count, chunk)) }
        var done = 0
        while done < count {
            let n = min(chunk, count - done)
            try scratch.withUnsafeMutableBytes { raw in
                try file.read(raw.baseAddress!, count: 2 * n, at: offset + 2 * done)
                HalfPrecision.widen(destination + done, from: raw.baseAddress!, count: n, dtype: dtype)
            }
            done += n
        }
    }

    /// Row-major multi-index of flat index `index` in `shape`.
    static func unflatten(_ index: Int, _ shape: [Int]) -> [Int] {
        var rest = index
        var result = [Int](repeating: 0, count: shape.count)
        for axis in shape.indices.reversed() where shape[axis] > 0 {
            result[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return result
    }
}

extension ModelDirectory {
    /// The directory's `config.json`, checked to describe the same parameters as `expected`
    /// (layer layout aside); throws naming the file otherwise.
    public static func config(_ directory: URL, matching expected: DalleBartConfig) throws -> DalleBartConfig
    {
        let found = try config(directory)
        guard ParameterLayout(config: found).entries == ParameterLayout(config: expected).entries else {
            throw ModelIOError(
                file: directory.appendingPathComponent(configFile).path,
                "describes a different model than the one expected (its parameter names or shapes differ)")
        }
        return found
    }
}
