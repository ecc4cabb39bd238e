// Reading a reference trajectory directory: trajectory.json (config, optimizer, schedule,
// per-step records, tolerances) and batches.safetensors. See fixtures/trajectory/README.md.
import Foundation
import Shards

/// The parsed contents of a trajectory directory.
struct TrajectoryDescription {
    struct Record {
        var lr: Double
        var loss: Double
        var norm: Double
    }

    /// The README's suggested tolerances (overridden by trajectory.json's when present).
    struct Tolerances {
        var lr = 1e-9
        var loss = 1e-5
        var gradientNormRelative = 1e-4
        var step2MaxAbsolute = 5e-6
        var step2GlobalRelative = 1e-6
        var finalMaxAbsolute = 5e-5
        var finalTensorRelative = 1e-4
        var finalGlobalRelative = 1e-5
        var kProjBiasMaxAbsolute = 1e-4

        func violations(of snapshot: TrajectoryCheck.Snapshot, step: Int, isFinal: Bool) -> [String] {
            var found: [String] = []
            let name = snapshot.file
            if step == 1 && !snapshot.isBitIdentical && !isFinal {
                found.append(
                    "\(name): not bit-identical to the initial parameters (the first update has lr 0)")
            }
            if step == 2 && !isFinal {
                if snapshot.maxAbsolute > step2MaxAbsolute {
                    found.append("\(name): max |Δ| \(snapshot.maxAbsolute) > \(step2MaxAbsolute)")
                }
                if snapshot.globalRelative > step2GlobalRelative {
                    found.append(
                        "\(name): global relative L2 \(snapshot.globalRelative) > \(step2GlobalRelative)")
                }
            }
            if isFinal {
                if snapshot.maxAbsolute > finalMaxAbsolute {
                    found.append("\(name): max |Δ| \(snapshot.maxAbsolute) > \(finalMaxAbsolute)")
                }
                if snapshot.worstTensorRelative > finalTensorRelative {
                    found.append(
                        "\(name): \(snapshot.worstTensor) relative L2 \(snapshot.worstTensorRelative) > "
                            + "\(finalTensorRelative)")
                }
                if snapshot.globalRelative > finalGlobalRelative {
                    found.append(
                        "\(name): global relative L2 \(snapshot.globalRelative) > \(finalGlobalRelative)")
                }
            }
            if snapshot.kProjBiasMaxAbsolute > kProjBiasMaxAbsolute {
                found.append(
                    "\(name): k_proj.bias max |Δ| \(snapshot.kProjBiasMaxAbsolute) > \(kProjBiasMaxAbsolute)")
            }
            return found
        }
    }

    let directory: URL
    let config: DalleBartConfig
    let optimizer: OptimizerSettings
    let schedule: LearningRateSchedule
    let steps: [Record]
    let finalLoss: Double
    let tolerances: Tolerances
    let batches: SafeTensorsFile
    let batchSize: Int
    var stepCount: Int { steps.count }

    init(directory: URL) throws {
        self.directory = directory
        let jsonURL = directory.appendingPathComponent("trajectory.json")
        guard let data = FileManager.default.contents(atPath: jsonURL.path) else {
            throw ReferenceCheckError.missingFile(path: jsonURL.path)
        }
        func malformed(_ reason: String) -> ReferenceCheckError {
            .malformed(path: jsonURL.path, reason: reason)
        }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let resolved = root["resolved_config"] as? [String: Any],
            let optimizer = root["optimizer"] as? [String: Any],
            let schedule = root["schedule"] as? [String: Any],
            let records = root["steps"] as? [[String: Any]], !records.isEmpty
        else { throw malformed("needs resolved_config, optimizer, schedule and a non-empty steps list") }
        config = try DalleBartConfig.decode(
            json: JSONSerialization.data(withJSONObject: resolved), source: jsonURL.path)
        func number(_ object: [String: Any], _ key: String) -> Double? {
            (object[key] as? NSNumber)?.doubleValue
        }
        self.optimizer = try Self.optimizerSettings(optimizer, malformed: malformed)
        self.schedule = try Self.schedule(schedule, stepCount: records.count, malformed: malformed)
        steps = try records.map {
            guard let lr = number($0, "lr"), let loss = number($0, "loss"),
                let norm = number($0, "grad_global_norm")
            else { throw malformed("every step needs lr, loss and grad_global_norm") }
            return Record(lr: lr, loss: loss, norm: norm)
        }
        finalLoss =
            ((root["final"] as? [String: Any]).flatMap { number($0, "loss_of_params_final_on_last_batch") })
            ?? .nan
        var tolerances = Tolerances()
        if let given = root["suggested_tolerances"] as? [String: Any] {
            tolerances.lr = number(given, "lr_abs_per_step") ?? tolerances.lr
            tolerances.loss = number(given, "loss_abs_per_step") ?? tolerances.loss
            tolerances.gradientNormRelative =
                number(given, "grad_global_norm_rel_per_step") ?? tolerances.gradientNormRelative
            tolerances.step2MaxAbsolute =
                number(given, "params_step_2_max_abs") ?? tolerances.step2MaxAbsolute
            tolerances.step2GlobalRelative =
                number(given, "params_step_2_global_rel_l2") ?? tolerances.step2GlobalRelative
            tolerances.finalMaxAbsolute = number(given, "params_final_max_abs") ?? tolerances.finalMaxAbsolute
            tolerances.finalTensorRelative =
                number(given, "params_final_tensor_rel_l2") ?? tolerances.finalTensorRelative
            tolerances.finalGlobalRelative =
                number(given, "params_final_global_rel_l2") ?? tolerances.finalGlobalRelative
            tolerances.kProjBiasMaxAbsolute =
                number(given, "k_proj_bias_max_abs") ?? tolerances.kProjBiasMaxAbsolute
        }
        self.tolerances = tolerances
        let batchesURL = directory.appendingPathComponent("batches.safetensors")
        guard FileManager.default.fileExists(atPath: batchesURL.path) else {
            throw ReferenceCheckError.missingFile(path: batchesURL.path)
        }
        batches = try SafeTensorsFile(contentsOf: batchesURL)
        let shape = try batches.entry("input_ids").shape
        guard shape.count == 3, shape[0] >= records.count, shape[2] == config.maxTextLength else {
            throw ReferenceCheckError.malformed(
                path: batchesURL.path,
                reason: "input_ids has shape \(shape), expected (steps, batch, max_text_length)")
        }
        batchSize = shape[1]
    }

    /// train.py's schedule from the `schedule` object (linear decay unless it says otherwise).
    static func schedule(
        _ object: [String: Any], stepCount: Int, malformed: (String) -> ReferenceCheckError
    ) throws -> LearningRateSchedule {
        func number(_ key: String) -> Double? { (object[key] as? NSNumber)?.doubleValue }
        guard let rate = number("learning_rate"), let warmup = number("warmup_steps") else {
            throw malformed("schedule needs learning_rate and warmup_steps")
        }
        let totalSteps = Int(number("num_train_steps") ?? Double(stepCount))
        let source = object["source"] as? String ?? ""
        let decayName =
            (object["lr_decay"] as? String)
            ?? (source.contains("lr_decay='exponential'")
                ? "exponential" : source.contains("lr_decay=None") ? "none" : "linear")
        let decay: LearningRateSchedule.Decay
        switch decayName {
        case "none": decay = .none
        case "exponential":
            guard let steps = number("lr_transition_steps"), let decayRate = number("lr_decay_rate") else {
                throw malformed("exponential decay needs lr_transition_steps and lr_decay_rate")
            }
            decay = .exponential(
                transitionSteps: Int(steps), rate: decayRate,
                staircase: object["lr_staircase"] as? Bool ?? false)
        default: decay = .linear(totalSteps: totalSteps)
        }
        return LearningRateSchedule(
            learningRate: rate, warmupSteps: Int(warmup), decay: decay, offset: Int(number("lr_offset") ?? 0))
    }

    /// A parameter file of the trajectory.
    func file(_ name: String) throws -> SafeTensorsFile {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ReferenceCheckError.missingFile(path: url.path)
        }
        return try SafeTensorsFile(contentsOf: url)
    }

    /// The batch of step `k` (1-based).
    func batch(step k: Int) throws -> Batch {
        let (B, S, T) = (batchSize, config.maxTextLength, config.imageLength)
        func rows(_ name: String, _ width: Int) throws -> [Int32] {
            let values = try batches.int32s(name)
            let start = (k - 1) * B * width
            guard values.count >= start + B * width else {
                throw ReferenceCheckError.malformed(
                    path: batches.path, reason: "\(name) too short for step \(k)")
            }
            return Array(values[start..<start + B * width])
        }
        return Batch(
            size: B, textLength: S, imageLength: T, inputIDs: try rows("input_ids", S),
            attentionMask: try rows("attention_mask", S), labels: try rows("labels", T),
            decoderInputIDs: try rows("decoder_input_ids", T))
    }
}
