// Where each tensor of the parameter table sits in a dalle-mini flax file. The table's names
// are already dalle-mini's per-layer Flax paths joined with "." (ParameterLayout); the stacked
// ("scan") layout merges `layers.FlaxBart{Encoder,Decoder}Layer_<i>.<rest>` over i into
// `layers/FlaxBart{Encoder,Decoder}Layers/<rest>` with a leading layer axis. This file is the
// only place that rewrites a parameter name.

/// The two layer layouts of a dalle-mini parameter file (config.json `use_scan`).
public enum FlaxLayerLayout: String, CaseIterable, Sendable {
    /// One tensor per parameter kind with a leading layer axis (`use_scan: true`).
    case scan
    /// One subtree per layer (`use_scan: false`), the names of the parameter table.
    case layers

    /// The layout `config.json` announces: `use_scan`, defaulting as dalle-mini does
    /// (true unless `ln_positions` is `swinv2`).
    public init(config: DalleBartConfig) {
        self = (config.useScan ?? (config.lnPositions != .swinv2)) ? .scan : .layers
    }
}

/// One tensor of a flax file: its path and shape, and the parameter-table entries it holds
/// (one for an unstacked tensor; one per layer, in layer order, for a stacked one).
public struct FlaxTensor: Sendable {
    public var path: [String]
    public var shape: [Int]
    public var slices: [ParameterEntry]

    /// The path joined with "/".
    public var name: String { path.joined(separator: "/") }
    /// Number of elements.
    public var count: Int { slices.reduce(0) { $0 + $1.count } }
}

extension ParameterLayout {
    /// Every tensor of a flax file in `layout`, in the file's order (map keys sorted at every level,
    /// as flax writes them).
    public func flaxTensors(_ layout: FlaxLayerLayout) -> [FlaxTensor] {
        var tensors: [FlaxTensor] = []
        var stacked: [String: Int] = [:]
        for entry in entries {
            var path = entry.name.split(separator: ".").map(String.init)
            guard layout == .scan, let (stackedName, layer) = Self.stackedLayer(path) else {
                tensors.append(FlaxTensor(path: path, shape: entry.shape, slices: [entry]))
                continue
            }
            path[3] = stackedName
            let key = path.joined(separator: "/")
            if let index = stacked[key] {
                precondition(tensors[index].slices.count == layer, "layers of \(key) out of order")
                tensors[index].slices.append(entry)
                tensors[index].shape[0] += 1
            } else {
                precondition(layer == 0, "\(entry.name) without layer 0")
                stacked[key] = tensors.count
                tensors.append(FlaxTensor(path: path, shape: [1] + entry.shape, slices: [entry]))
            }
        }
        return tensors.sorted {
            $0.path.lexicographicallyPrecedes($1.path) {
                Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8))
            }
        }
    }

    /// `model.<codec>.layers.FlaxBart<Codec>Layer_<i>....` -> ("FlaxBart<Codec>Layers", i).
    static func stackedLayer(_ path: [String]) -> (String, Int)? {
        guard path.count > 4, path[0] == "model", path[2] == "layers" else { return nil }
        for prefix in ["FlaxBartEncoderLayer_", "FlaxBartDecoderLayer_"] where path[3].hasPrefix(prefix) {
            guard let layer = Int(path[3].dropFirst(prefix.count)) else { return nil }
            return (String(prefix.dropLast()) + "s", layer)
        }
        return nil
    }
}
