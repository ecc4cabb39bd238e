// Compares the model against a reference dump in the fixture layout (fixtures/dallebart/README.md):
// params, batch, grads, logits safetensors and expected.json (resolved_config, loss).
import Foundation
import Shards

/// A reference dump that cannot be used, naming the file.
public enum ReferenceCheckError: Error, CustomStringConvertible {
    case missingFile(path: String)
    case malformed(path: String, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let path):
            return
                "\(path): missing; a reference dump holds params, batch, grads and logits .safetensors and expected.json"
        case .malformed(let path, let reason): return "\(path): \(reason)"
        }
    }
}

/// One reference dump loaded and compared: loss, logits and every gradient tensor.
public struct ReferenceCheck {
    /// The fixture README's tolerances.
    public struct Tolerances: Sendable {
        public var loss = 1e-5
        public var logits: Float = 1e-5
        public var gradientRelative = 1e-4
        /// Relative to the global reference gradient norm: the floor of each tensor's denominator.
        public var gradientFloor = 1e-5
        public init() {}
    }

    public struct GradientError: Sendable {
        public var name: String
        /// ‖Δ‖ / max(‖g_ref‖, floor · ‖G_ref‖).
        public var relative: Double
        /// max |Δ| (reported for every tensor, the only figure for k_proj.bias).
        public var maxAbsolute: Float
        /// False for k_proj.bias: analytically zero, stored as round-off noise (README).
        public var isCompared: Bool
    }

    public var config: DalleBartConfig
    public var referenceLoss: Double
    public var loss: Double
    public var logitsMaxDifference: Float
    public var gradients: [GradientError]
    public var tolerances: Tolerances

    public var lossDifference: Double { abs(loss - referenceLoss) }
    /// The compared gradient with the largest relative error.
    public var worstGradient: GradientError? {
        gradients.filter(\.isCompared).max { $0.relative < $1.relative }
    }
    public var passes: Bool {
        lossDifference <= tolerances.loss && logitsMaxDifference <= tolerances.logits
            && (worstGradient?.relative ?? 0) <= tolerances.gradientRelative
    }

    /// Loads the dump in `directory`, runs forward and backward, compares. With `modelDirectory`
    /// (a dalle-mini model directory of the same model), the parameters come from its
    /// `flax_model.msgpack` instead of the dump's `params.safetensors`.
    public init(directory: URL, modelDirectory: URL? = nil, tolerances: Tolerances = Tolerances()) throws {
        self.tolerances = tolerances
        func file(_ name: String) throws -> URL {
            let url = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw ReferenceCheckError.missingFile(path: url.path)
            }
            return url
        }
        let expectedURL = try file("expected.json")
        let object =
            (try? JSONSerialization.jsonObject(with: Data(contentsOf: expectedURL))) as? [String: Any]
        guard let object, let resolved = object["resolved_config"] as? [String: Any],
            let loss = (object["loss"] as? NSNumber)?.doubleValue
        else {
            throw ReferenceCheckError.malformed(
                path: expectedURL.path, reason: "needs a 'resolved_config' object and a numeric 'loss'")
        }
        config = try DalleBartConfig.decode(
            json: JSONSerialization.data(withJSONObject: resolved),
            source: "\(expectedURL.path) resolved_config")
        referenceLoss = loss
        let batchFile = try SafeTensorsFile(contentsOf: file("batch.safetensors"))
        let batch = try Self.batch(batchFile, config: config)
        let model = try DalleBart(config: config, batchSize: batch.size)
        let parameters = FlatBuffer(count: model.layout.count)
        if let modelDirectory {
            try ModelDirectory.loadWeights(
                modelDirectory, config: ModelDirectory.config(modelDirectory, matching: config),
                layout: model.layout,
                into: parameters)
        } else {
            try model.layout.load(contentsOf: file("params.safetensors"), into: parameters)
        }
        let reference = FlatBuffer(count: model.layout.count)
        try model.layout.load(contentsOf: file("grads.safetensors"), into: reference)
        let referenceLogits = try SafeTensorsFile(contentsOf: file("logits.safetensors")).floats("logits")

        let gradients = FlatBuffer(count: model.layout.count)
        self.loss = Double(
            model.forward(parameters: parameters, batch: batch, dropout: nil, gradients: gradients))
        let logits = model.logits(parameters: parameters)
        guard referenceLogits.count == logits.count else {
            throw ReferenceCheckError.malformed(
                path: directory.appendingPathComponent("logits.safetensors").path,
                reason: "\(referenceLogits.count) logits, the model produces \(logits.count)")
        }
        logitsMaxDifference = zip(logits, referenceLogits).map { abs($0 - $1) }.max() ?? 0
        model.backward(parameters: parameters, gradients: gradients, gradientScale: 1)
        self.gradients = Self.compare(
            gradients, reference, layout: model.layout, floor: tolerances.gradientFloor)
    }

    /// The fixture batch in `file` (`input_ids`, `attention_mask`, `labels`, `decoder_input_ids`).
    public static func batch(_ file: SafeTensorsFile, config: DalleBartConfig) throws -> Batch {
        let ids = try file.int32s("input_ids")
        let mask = try file.int32s("attention_mask")
        let labels = try file.int32s("labels")
        let decoderIDs = try file.int32s("decoder_input_ids")
        let rows = try file.entry("input_ids").shape.first ?? 0
        guard rows > 0, ids.count == rows * config.maxTextLength, mask.count == ids.count,
            labels.count == rows * config.imageLength, decoderIDs.count == labels.count
        else {
            throw ReferenceCheckError.malformed(
                path: file.path,
                reason: "batch shapes do not match max_text_length/image_length of the config")
        }
        return Batch(
            size: rows, textLength: config.maxTextLength, imageLength: config.imageLength, inputIDs: ids,
            attentionMask: mask, labels: labels, decoderInputIDs: decoderIDs)
    }

    static func compare(_ actual: FlatBuffer, _ expected: FlatBuffer, layout: ParameterLayout, floor: Double)
        -> [GradientError]
    {
        var global = 0.0
        for i in 0..<expected.count { global += Double(expected.pointer[i]) * Double(expected.pointer[i]) }
        let denominatorFloor = floor * global.squareRoot()
        return layout.entries.map { entry in
            var difference = 0.0
            var norm = 0.0
            var maxAbsolute: Float = 0
            for i in entry.offset..<entry.offset + entry.count {
                let (a, e) = (actual.pointer[i], expected.pointer[i])
                difference += Double(a - e) * Double(a - e)
                norm += Double(e) * Double(e)
                maxAbsolute = max(maxAbsolute, abs(a - e))
            }
            return GradientError(
                name: entry.name,
                relative: difference.squareRoot() / max(norm.squareRoot(), denominatorFloor),
                maxAbsolute: maxAbsolute, isCompared: !entry.name.hasSuffix("k_proj.bias"))
        }
    }
}
