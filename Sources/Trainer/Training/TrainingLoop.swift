// The training loop: step() is a straight sequence (batches -> forward -> backward ->
// average -> clip -> update -> gather), and run() repeats it with logging, evaluation,
// checkpoints and stop signals. Setup lives in TrainingLoop+Setup.swift, checkpoints in
// TrainingLoop+Checkpoint.swift.
import Collective
import Foundation
import Shards

/// How a run ended.
public enum TrainingOutcome: Equatable, Sendable {
    /// Reached the last step; a final checkpoint was written.
    case finished(step: Int)
    /// A stop signal arrived; a checkpoint was written at `step` and the run should be resumed.
    case stoppedBySignal(step: Int)
    /// Stopped where the caller asked (`run(pausingAt:)`), after writing a checkpoint.
    case paused(step: Int)
}

/// What one optimizer step measured (averaged over ranks where it matters).
public struct StepResult: Sendable {
    public var loss: Double
    public var gradientNorm: Double
    public var learningRate: Float
    public var isSkipped: Bool
    public var isStopRequested: Bool
}

/// One data-parallel training run on this rank.
public final class TrainingLoop {
    let comm: Communicator
    public let options: TrainingOptions
    public let config: DalleBartConfig
    let model: DalleBart
    public let parameters: FlatBuffer
    let gradients: FlatBuffer
    public let optimizer: any ParameterOptimizer
    let parallel: DataParallel
    let schedule: LearningRateSchedule
    let dataset: Dataset
    let encoder: BartTokenizer
    /// dalle-mini's caption normalizer when the config sets `normalize_text` (loaded once per rank).
    var textNormalizer: TextNormalizer?
    /// Rank 0's exclusive lock on the output directory, held while the loop lives.
    var runLock: RunLock?
    /// Captions sampled every `sample_steps` steps (nil: no samples).
    var samplePrompts: PromptList?
    /// Decodes the samples into pictures (`sample_vqgan`); nil draws code grids.
    var sampleDecoder: VQGAN?
    /// This rank's training data; started after the resume position is known.
    private(set) var reader: RankReader!
    let evaluation: (dataset: Dataset, encoder: BartTokenizer)?
    let totalSteps: Int
    let metrics: MetricsLog
    let tensorBoard: TensorBoardWriter
    var progress: ProgressLine
    let store: CheckpointStore
    var timer = PhaseTimer()

    /// Optimizer steps completed.
    public internal(set) var step = 0
    /// Records consumed over all ranks.
    public internal(set) var samples = 0
    /// Seconds of training (checkpoint writes excluded), carried across resumes.
    public internal(set) var trainTime = 0.0
    /// Updates skipped because the loss or the gradients were not finite.
    public internal(set) var skippedSteps = 0
    var consecutiveSkips = 0
    /// The longest step of this process so far (its first, which allocates, left out), and
    /// whether rank 0 warned that a step plus a checkpoint exceed mpirun's grace (MpirunGrace).
    var longestStepSeconds = 0.0
    var hasWarnedAboutGrace = false
    /// Every logged loss in order (for tests of resume equivalence).
    public internal(set) var lossHistory: [Double] = []
    /// Consecutive non-finite steps after which the run stops.
    public static let maximumConsecutiveSkips = 5

    init(
        comm: Communicator, options: TrainingOptions, config: DalleBartConfig, model: DalleBart,
        dataset: Dataset, encoder: BartTokenizer, evaluation: (Dataset, BartTokenizer)?, totalSteps: Int
    ) throws {
        self.comm = comm
        self.options = options
        self.config = config
        self.model = model
        self.dataset = dataset
        self.encoder = encoder
        self.evaluation = evaluation
        self.totalSteps = totalSteps
        let settings = options.optimizerSettings
        let shards = settings.shards(
            layout: model.layout, worldSize: comm.worldSize, rank: comm.rank,
            isSharded: options.shardOptimizerState)
        let parallel = DataParallel(comm: comm, shards: shards)
        self.parallel = parallel
        // In the ranks' shared memory on one host, so that the gradient average skips MPI's copies.
        parameters = try parallel.makeBuffer()
        gradients = try parallel.makeBuffer()
        // Sharded: Adam moments only for this rank's slice and the shared tail; Adafactor's and
        // Shampoo's state only for this rank's tensors.
        optimizer = settings.makeOptimizer(layout: model.layout, shards: shards)
        schedule = try options.learningRateSchedule(totalSteps: totalSteps)
        let outputDirectory = URL(fileURLWithPath: options.outputDir)
        metrics = try MetricsLog(directory: outputDirectory, isActive: comm.isRoot)
        tensorBoard = try TensorBoardWriter(directory: outputDirectory, isActive: comm.isRoot)
        progress = ProgressLine(
            isActive: comm.isRoot, totalSteps: totalSteps, logInterval: options.logInterval,
            isTerminal: Self.showsLiveProgress())
        store = CheckpointStore(directory: outputDirectory.appendingPathComponent("checkpoints"))
    }

    /// A live `\r` progress line on a terminal, plain lines otherwise. mpirun gives ranks a
    /// pseudo-terminal even when its own output goes to a file, so `DALLE_TRAIN_PROGRESS=lines`
    /// (set by the SLURM script) or `=live` decides explicitly.
    static func showsLiveProgress() -> Bool {
        switch ProcessInfo.processInfo.environment["DALLE_TRAIN_PROGRESS"] {
        case "lines": return false
        case "live": return true
        default: return isatty(STDOUT_FILENO) != 0
        }
    }

    /// Starts the background reader at `cursor` (a resumed position) or at the beginning.
    func startReader(cursor: DataCursor?) throws {
        reader = try RankReader(dataset: dataset, options: readerOptions(), encoder: encoder, cursor: cursor)
    }

    /// Rows of one rank's micro-batch.
    var batchSize: Int { options.perDeviceTrainBatchSize }
    /// Records per optimizer step over all ranks.
    var recordsPerStep: Int { comm.worldSize * batchSize * options.gradientAccumulationSteps }

    /// One optimizer step. Every rank calls the same collectives in the same order.
    public func trainStep() throws -> StepResult {
        let accumulation = options.gradientAccumulationSteps
        let learningRate = schedule.rate(atCount: optimizer.step)
        // max_grad_norm is Adafactor's own clipping threshold and unused by Shampoo (as in train.py).
        let update = StepUpdate(
            parallel: parallel, optimizer: optimizer,
            maxGradNorm: options.optim == .adam ? options.maxGradNorm : nil)
        let outcome = try TrainingStep(model: model, update: update).run(
            parameters: parameters, gradients: gradients, microBatches: accumulation,
            learningRate: learningRate,
            isStopRequested: StopSignals.isStopRequested, timer: &timer
        ) { micro in
            let key = DropoutKey(
                seed: UInt64(options.seed), step: UInt64(step * accumulation + micro), rank: UInt64(comm.rank)
            )
            return (try reader.next(), key)
        }
        timer.endStep()
        step += 1
        samples += recordsPerStep
        return StepResult(
            loss: outcome.loss, gradientNorm: outcome.gradientNorm, learningRate: learningRate,
            isSkipped: outcome.isSkipped, isStopRequested: outcome.isStopRequested)
    }
}
