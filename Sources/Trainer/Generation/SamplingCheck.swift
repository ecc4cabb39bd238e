// Replays a sampling fixture folder (inputs.safetensors, scale-<s>[-min_length].safetensors,
// expected.json, optionally a replacement lm_head.safetensors) and compares sequences, every
// step's logits and scores, and the teacher-forced full forward, with the tolerances of
// docs/SAMPLING.md.
import Foundation
import Shards

/// One sampling fixture folder replayed against a model.
public struct SamplingCheck {
    /// The comparison of one `scale-*.safetensors` file.
    public struct ScaleResult: Sendable {
        public var file: String
        public var scale: Float
        public var minLength: Int?
        /// Rows whose generated sequence differs from the reference (empty: exact).
        public var mismatchedRows: [Int]
        /// Generation steps run, against the reference's.
        public var steps: Int
        public var referenceSteps: Int
        /// Max |Δ| by comparison name (step/teacher-forced logits and scores, incremental vs full).
        public var differences: [(name: String, value: Float, tolerance: Float)]

        public var passes: Bool {
            mismatchedRows.isEmpty && steps == referenceSteps
                && differences.allSatisfy { $0.value <= $0.tolerance }
        }
    }

    public var results: [ScaleResult]
    public var passes: Bool { !results.isEmpty && results.allSatisfy(\.passes) }

    /// Logits tolerance; scores use `logitsTolerance · max(1, 2|s| − 1)`.
    public static let logitsTolerance: Float = 1e-5

    /// Loads the model named by `model` (anything `--model` accepts that has weights), replaces
    /// `lm_head.kernel` when the folder holds `lm_head.safetensors`, and replays every scale file.
    public init(directory: URL, model: String) throws {
        let resolved = try DalleBartConfig.resolve(model: model)
        let config = resolved.config
        let layout = ParameterLayout(config: config)
        let parameters = FlatBuffer(count: layout.count)
        try resolved.loadWeights(into: parameters, layout: layout)
        let headURL = directory.appendingPathComponent("lm_head.safetensors")
        if FileManager.default.fileExists(atPath: headURL.path) {
            let head = try SafeTensorsFile(contentsOf: headURL)
            let entry = layout.entry(named: "lm_head.kernel")!
            let found = try head.entry("lm_head.kernel")
            guard found.shape == entry.shape else {
                throw SafeTensorsError.wrongShape(
                    path: headURL.path, name: "lm_head.kernel", expected: entry.shape, found: found.shape)
            }
            try head.copyFloats("lm_head.kernel", into: parameters.pointer + entry.offset, count: entry.count)
        }
        let inputs = try SafeTensorsFile(contentsOf: directory.appendingPathComponent("inputs.safetensors"))
        let ids = try inputs.int32s("input_ids")
        let mask = try inputs.int32s("attention_mask")
        let S = config.maxTextLength
        guard ids.count == mask.count, ids.count % S == 0, !ids.isEmpty else {
            throw SetupError("\(inputs.path): input_ids/attention_mask are not rows of max_text_length \(S)")
        }
        let unconditional = (
            try inputs.int32s("input_ids_uncond"), try inputs.int32s("attention_mask_uncond")
        )
        let empty = ImageTokenGenerator.emptyCaption(textLength: S)
        guard Array(unconditional.0.prefix(S)) == empty.inputIDs,
            Array(unconditional.1.prefix(S)) == empty.attentionMask
        else {
            throw SetupError(
                "\(inputs.path): the unconditional prompt is not the empty caption <s></s><pad>…")
        }
        let expected = try Self.scaleEntries(directory.appendingPathComponent("expected.json"))
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasPrefix("scale-") && $0.hasSuffix(".safetensors") }.sorted()
        guard !files.isEmpty else { throw SetupError("\(directory.path): no scale-*.safetensors files") }
        let rows = ids.count / S
        let generator = try ImageTokenGenerator(
            config: config, parameters: parameters, promptCapacity: rows, sequenceCapacity: rows)
        let model = try DalleBart(config: config, batchSize: rows)
        results = try files.map { file in
            let name = String(file.dropLast(".safetensors".count))
            guard let entry = expected[name] else {
                throw SetupError("\(directory.path)/expected.json: no entry for \(name)")
            }
            return try Self.compare(
                file: directory.appendingPathComponent(file), entry: entry, ids: ids, mask: mask, rows: rows,
                generator: generator, model: model, parameters: parameters)
        }
    }

    /// expected.json's `scales` by name: (condition scale, min_length of the generate call, steps).
    static func scaleEntries(_ url: URL) throws -> [String: (scale: Float, minLength: Int?, steps: Int)] {
        let object = (try? JSONSerialization.jsonObject(with: Data(contentsOf: url))) as? [String: Any]
        guard let scales = object?["scales"] as? [String: [String: Any]] else {
            throw SetupError("\(url.path): no 'scales' object")
        }
        var entries: [String: (scale: Float, minLength: Int?, steps: Int)] = [:]
        for (name, entry) in scales {
            guard let scale = entry["condition_scale"] as? Double, let steps = entry["n_steps"] as? Int,
                let call = entry["generate_call"] as? String
            else {
                throw SetupError(
                    "\(url.path): scales.\(name) lacks condition_scale, n_steps or generate_call")
            }
            var minLength: Int? = nil
            if let range = call.range(of: #"min_length=\d+"#, options: .regularExpression) {
                minLength = Int(call[range].dropFirst("min_length=".count))
            }
            entries[name] = (Float(scale), minLength, steps)
        }
        return entries
    }

    private static func compare(
        file: URL, entry: (scale: Float, minLength: Int?, steps: Int), ids: [Int32], mask: [Int32], rows: Int,
        generator: ImageTokenGenerator, model: DalleBart, parameters: FlatBuffer
    ) throws -> ScaleResult {
        let config = generator.config
        let (T, V) = (config.imageLength, config.imageClasses)
        let reference = try SafeTensorsFile(contentsOf: file)
        let sequences = try reference.int32s("sequences")
        let usesUnconditional = entry.scale != 1
        func tensor(_ name: String) throws -> [Float]? {
            guard reference.contains(name) else { return nil }
            let values = try reference.floats(name)
            guard values.count == rows * T * V else {
                throw SafeTensorsError.wrongShape(
                    path: file.path, name: name, expected: [rows, T, V],
                    found: try reference.entry(name).shape)
            }
            return values
        }
        guard sequences.count == rows * (T + 1) else {
            throw SafeTensorsError.wrongShape(
                path: file.path, name: "sequences", expected: [rows, T + 1],
                found: try reference.entry("sequences").shape)
        }
        // Ours, incremental: (rows, T, V) per stream, filled step by step.
        var steps = 0
        var ours = (
            cond: [Float](repeating: 0, count: rows * T * V),
            uncond: [Float](repeating: 0, count: rows * T * V),
            scores: [Float](repeating: 0, count: rows * T * V)
        )
        let settings = SamplingSettings(
            conditionScale: entry.scale, topK: 1, minLength: entry.minLength, seed: 0)
        let generated = try generator.generate(
            inputIDs: ids, attentionMask: mask, prompts: rows,
            requests: (0..<rows).map { SampleRequest(prompt: $0, streamKey: UInt64($0)) }, settings: settings
        ) { step in
            steps = step.position + 1
            for r in 0..<rows {
                let at = (r * T + step.position) * V
                for v in 0..<V {
                    ours.cond[at + v] = step.conditional[r * V + v]
                    ours.scores[at + v] = step.scores[r * V + v]
                    if let u = step.unconditional { ours.uncond[at + v] = u[r * V + v] }
                }
            }
        }
        var mismatched: [Int] = []
        for r in 0..<rows where generated[r] != Array(sequences[r * (T + 1)..<(r + 1) * (T + 1)]) {
            mismatched.append(r)
        }
        if let greedy = try? reference.int32s("sequences_greedy_search"), greedy != sequences {
            throw SetupError("\(file.path): sequences_greedy_search differs from sequences")
        }
        // Teacher-forced full forward of the reference sequences.
        func fullForward(_ inputIDs: [Int32], _ attentionMask: [Int32]) -> [Float] {
            var decoderInputs: [Int32] = []
            var labels: [Int32] = []
            for r in 0..<rows {
                decoderInputs += sequences[r * (T + 1)..<r * (T + 1) + T]
                labels += sequences[r * (T + 1) + 1..<(r + 1) * (T + 1)]
            }
            let batch = Batch(
                size: rows, textLength: config.maxTextLength, imageLength: T, inputIDs: inputIDs,
                attentionMask: attentionMask, labels: labels, decoderInputIDs: decoderInputs)
            _ = model.forward(parameters: parameters, batch: batch, dropout: nil)
            return model.logits(parameters: parameters)
        }
        let tfCond = fullForward(ids, mask)
        let empty = ImageTokenGenerator.emptyCaption(textLength: config.maxTextLength)
        let tfUncond =
            usesUnconditional
            ? fullForward(
                Array((0..<rows).map { _ in empty.inputIDs }.joined()),
                Array((0..<rows).map { _ in empty.attentionMask }.joined())) : nil
        var tfScores = [Float](repeating: 0, count: rows * T * V)
        let penaltyEnd = entry.minLength ?? 0
        for row in 0..<rows * T {
            let position = row % T
            tfCond.withUnsafeBufferPointer { c in
                tfScores.withUnsafeMutableBufferPointer { s in
                    let u = tfUncond?.withUnsafeBufferPointer { $0.baseAddress! + row * V }
                    TokenSampler.combine(
                        scores: s.baseAddress! + row * V, conditional: c.baseAddress! + row * V,
                        unconditional: u,
                        scale: entry.scale, forbidden: position + 1 <= penaltyEnd ? config.eosTokenID : nil,
                        classes: V)
                }
            }
        }
        let logits = logitsTolerance
        let scores = logitsTolerance * max(1, 2 * abs(entry.scale) - 1)
        let compared = steps * V
        func difference(_ a: [Float], _ b: [Float]) -> Float {
            var worst: Float = 0
            for r in 0..<rows {
                for i in r * T * V..<r * T * V + compared {
                    if a[i] == b[i] { continue }  // equal infinities included
                    let d = abs(a[i] - b[i])
                    worst = max(worst, d.isNaN ? .infinity : d)
                }
            }
            return worst
        }
        var differences: [(String, Float, Float)] = []
        if let value = try tensor("step_logits_cond") {
            differences.append(("step logits (conditional)", difference(ours.cond, value), logits))
        }
        if usesUnconditional, let value = try tensor("step_logits_uncond") {
            differences.append(("step logits (unconditional)", difference(ours.uncond, value), logits))
        }
        if let value = try tensor("step_scores") {
            differences.append(("step scores", difference(ours.scores, value), scores))
        }
        if let value = try tensor("tf_logits_cond") {
            differences.append(("teacher-forced logits (conditional)", difference(tfCond, value), logits))
        }
        if let tfUncond, let value = try tensor("tf_logits_uncond") {
            differences.append(("teacher-forced logits (unconditional)", difference(tfUncond, value), logits))
        }
        if let value = try tensor("tf_scores") {
            differences.append(("teacher-forced scores", difference(tfScores, value), scores))
        }
        differences.append(
            ("incremental vs own full forward (conditional)", difference(ours.cond, tfCond), logits))
        if let tfUncond {
            differences.append(
                ("incremental vs own full forward (unconditional)", difference(ours.uncond, tfUncond), logits)
            )
        }
        return ScaleResult(
            file: file.lastPathComponent, scale: entry.scale, minLength: entry.minLength,
            mismatchedRows: mismatched, steps: steps, referenceSteps: entry.steps, differences: differences)
    }
}
