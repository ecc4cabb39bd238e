// Replays a multi-step reference trajectory (a directory of trajectory.json, params_*.safetensors
// and batches.safetensors, as dalle-mini's training script produced them): initial
// parameters, per-step batches, dalle-mini's AdamW and learning-rate schedule from
// trajectory.json; compares per-step learning rate, loss and gradient norm and the parameters
// after step 1, step 2 and the last step against the README's tolerances.
import Collective
import Foundation
import Shards

/// The outcome of replaying a reference trajectory.
public struct TrajectoryCheck {
    /// One step's figures: ours and the reference's.
    public struct Step: Sendable {
        public var step: Int
        public var learningRate: Float
        public var referenceLearningRate: Double
        public var loss: Double
        public var referenceLoss: Double
        public var gradientNorm: Double
        public var referenceGradientNorm: Double
    }

    /// One parameter snapshot compared with the reference file.
    public struct Snapshot: Sendable {
        public var file: String
        public var maxAbsolute: Double
        public var globalRelative: Double
        public var worstTensorRelative: Double
        public var worstTensor: String
        public var kProjBiasMaxAbsolute: Double
        public var isBitIdentical: Bool
    }

    public var steps: [Step] = []
    public var snapshots: [Snapshot] = []
    public var finalLoss = 0.0
    public var referenceFinalLoss = 0.0
    /// Each violated tolerance, in words; empty when the trajectory matches.
    public var violations: [String] = []
    /// The optimizer after the last step (its state, for comparisons with the reference's).
    public private(set) var optimizer: (any ParameterOptimizer)?
    /// The parameter layout of the replayed model.
    public private(set) var layout: ParameterLayout?
    public var passes: Bool { violations.isEmpty }

    /// Loads `directory`, replays every step through the training step (`TrainingStep` and
    /// `StepUpdate` on a one-rank group: the skip rule, clipping and the update of `train`), and
    /// compares.
    public init(directory: URL) throws {
        let description = try TrajectoryDescription(directory: directory)
        let config = description.config
        let model = try DalleBart(config: config, batchSize: description.batchSize)
        let layout = model.layout
        let parameters = FlatBuffer(count: layout.count)
        let gradients = FlatBuffer(count: layout.count)
        try layout.load(description.file("params_initial.safetensors"), into: parameters)
        let parallel = DataParallel(
            comm: try Communicator.selfOnly(), parameterCount: layout.count, isSharded: false)
        let optimizer = description.optimizer.makeOptimizer(layout: layout)
        self.optimizer = optimizer
        self.layout = layout
        let step = TrainingStep(
            model: model, update: StepUpdate(parallel: parallel, optimizer: optimizer, maxGradNorm: nil))
        let tolerances = description.tolerances
        for k in 1...description.stepCount {
            let batch = try description.batch(step: k)
            let rate = description.schedule.rate(atCount: optimizer.step)
            var timer = PhaseTimer()
            let outcome = try step.run(
                parameters: parameters, gradients: gradients, microBatches: 1, learningRate: rate,
                isStopRequested: false, timer: &timer
            ) { _ in (batch, nil) }
            let (loss, norm) = (outcome.loss, outcome.gradientNorm)
            let reference = description.steps[k - 1]
            steps.append(
                Step(
                    step: k, learningRate: rate, referenceLearningRate: reference.lr, loss: loss,
                    referenceLoss: reference.loss, gradientNorm: norm, referenceGradientNorm: reference.norm))
            if abs(Double(rate) - reference.lr) > tolerances.lr {
                violations.append("step \(k): learning rate \(rate), reference \(reference.lr)")
            }
            if abs(loss - reference.loss) > tolerances.loss {
                violations.append("step \(k): loss \(loss), reference \(reference.loss)")
            }
            if abs(norm - reference.norm) > tolerances.gradientNormRelative * reference.norm {
                violations.append("step \(k): gradient norm \(norm), reference \(reference.norm)")
            }
            if k == 1 || k == 2 || k == description.stepCount {
                let name =
                    k == description.stepCount ? "params_final.safetensors" : "params_step_\(k).safetensors"
                if let file = try? description.file(name) {
                    try compareSnapshot(
                        parameters, file: file, name: name, step: k, layout: layout, description)
                }
            }
        }
        let lastBatch = try description.batch(step: description.stepCount)
        finalLoss = Double(model.forward(parameters: parameters, batch: lastBatch, dropout: nil))
        referenceFinalLoss = description.finalLoss
        if abs(finalLoss - referenceFinalLoss) > tolerances.loss {
            violations.append("final loss \(finalLoss), reference \(referenceFinalLoss)")
        }
    }

    private mutating func compareSnapshot(
        _ parameters: FlatBuffer, file: SafeTensorsFile, name: String, step: Int, layout: ParameterLayout,
        _ description: TrajectoryDescription
    ) throws {
        let reference = FlatBuffer(count: layout.count)
        try layout.load(file, into: reference)
        var snapshot = Snapshot(
            file: name, maxAbsolute: 0, globalRelative: 0, worstTensorRelative: 0, worstTensor: "",
            kProjBiasMaxAbsolute: 0, isBitIdentical: parameters.toArray() == reference.toArray())
        var differenceSquares = 0.0
        var referenceSquares = 0.0
        for entry in layout.entries {
            var tensorDifference = 0.0
            var tensorReference = 0.0
            var maxAbsolute = 0.0
            for i in entry.offset..<entry.offset + entry.count {
                let d = Double(parameters.pointer[i]) - Double(reference.pointer[i])
                tensorDifference += d * d
                tensorReference += Double(reference.pointer[i]) * Double(reference.pointer[i])
                maxAbsolute = max(maxAbsolute, abs(d))
            }
            if entry.name.hasSuffix("k_proj.bias") {
                snapshot.kProjBiasMaxAbsolute = max(snapshot.kProjBiasMaxAbsolute, maxAbsolute)
                continue
            }
            differenceSquares += tensorDifference
            referenceSquares += tensorReference
            snapshot.maxAbsolute = max(snapshot.maxAbsolute, maxAbsolute)
            let relative = tensorDifference.squareRoot() / max(tensorReference.squareRoot(), 1e-30)
            if relative > snapshot.worstTensorRelative {
                snapshot.worstTensorRelative = relative
                snapshot.worstTensor = entry.name
            }
        }
        snapshot.globalRelative = differenceSquares.squareRoot() / max(referenceSquares.squareRoot(), 1e-30)
        snapshots.append(snapshot)
        violations += description.tolerances.violations(
            of: snapshot, step: step, isFinal: step == description.stepCount)
    }
}
