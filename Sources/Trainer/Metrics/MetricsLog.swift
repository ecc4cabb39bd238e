// Rank 0's `metrics.jsonl`: one JSON object per log line, written through to the file at once.
// Not here: TensorBoard events (TensorBoard.swift), the terminal line (ProgressLine.swift).
import Foundation

/// A metrics file that cannot be created or written, with its path.
public enum MetricsError: Error, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "\(path): cannot create the metrics file: \(reason); is output_dir writable?"
        case .writeFailed(let path, let reason):
            return "\(path): cannot write metrics: \(reason); is the disk full?"
        }
    }
}

/// Mean seconds per optimizer step spent in each phase of the training step.
public struct TrainingPhaseSeconds: Equatable, Sendable {
    /// Reading and collating batches.
    public var data: Double
    public var forward: Double
    public var backward: Double
    /// Averaging gradients and the loss over ranks.
    public var allreduce: Double
    /// Clipping and the AdamW update (and the all-gather of the sharded mode).
    public var optimizer: Double

    public init(
        data: Double = 0, forward: Double = 0, backward: Double = 0, allreduce: Double = 0,
        optimizer: Double = 0
    ) {
        self.data = data
        self.forward = forward
        self.backward = backward
        self.allreduce = allreduce
        self.optimizer = optimizer
    }

    /// The phases with their metric names, in step order.
    public var named: [(name: String, seconds: Double)] {
        [
            ("data", data), ("forward", forward), ("backward", backward), ("allreduce", allreduce),
            ("optimizer", optimizer),
        ]
    }
}

/// One metrics line: the state after optimizer step `step`, averaged over ranks.
public struct MetricsRecord: Equatable, Sendable {
    /// Optimizer steps done.
    public var step: Int
    /// Current epoch (0-based).
    public var epoch: Int
    /// Training rows consumed so far, over all ranks.
    public var samples: Int
    /// Mean training loss over the log interval.
    public var loss: Double
    /// Loss on `eval_data`, on lines where an evaluation ran.
    public var evalLoss: Double?
    /// The rate applied by the last update.
    public var learningRate: Double
    /// Global L2 norm of the averaged gradients (before clipping) of the last step.
    public var gradNorm: Double
    /// Decoder tokens (rows × image_length) per second over all ranks, over the interval.
    public var tokensPerSecond: Double
    /// Seconds of training so far (carried across resumes).
    public var trainTime: Double
    /// Mean seconds per step in each phase over the interval.
    public var phases: TrainingPhaseSeconds

    public init(
        step: Int, epoch: Int, samples: Int, loss: Double, evalLoss: Double? = nil, learningRate: Double,
        gradNorm: Double, tokensPerSecond: Double, trainTime: Double,
        phases: TrainingPhaseSeconds = TrainingPhaseSeconds()
    ) {
        self.step = step
        self.epoch = epoch
        self.samples = samples
        self.loss = loss
        self.evalLoss = evalLoss
        self.learningRate = learningRate
        self.gradNorm = gradNorm
        self.tokensPerSecond = tokensPerSecond
        self.trainTime = trainTime
        self.phases = phases
    }

    /// The scalars with their names (`loss`, `learning_rate`, …, `time/forward`), for logs
    /// that take name-value pairs such as TensorBoard.
    public var scalars: [(name: String, value: Double)] {
        var values: [(String, Double)] = [
            ("epoch", Double(epoch)), ("samples", Double(samples)), ("loss", loss),
        ]
        if let evalLoss { values.append(("eval_loss", evalLoss)) }
        values += [
            ("learning_rate", learningRate), ("grad_norm", gradNorm), ("tokens_per_second", tokensPerSecond),
            ("train_time", trainTime),
        ]
        values += phases.named.map { ("time/\($0.name)", $0.seconds) }
        return values
    }

    /// The record as one JSON object on one line, keys in a fixed order; phases are
    /// `time_<phase>` and non-finite numbers are `null` (JSON has no NaN).
    public var jsonLine: String {
        var fields = [
            "\"step\":\(step)", "\"epoch\":\(epoch)", "\"samples\":\(samples)", "\"loss\":\(json(loss))",
        ]
        if let evalLoss { fields.append("\"eval_loss\":\(json(evalLoss))") }
        fields += [
            "\"learning_rate\":\(json(learningRate))", "\"grad_norm\":\(json(gradNorm))",
            "\"tokens_per_second\":\(json(tokensPerSecond))", "\"train_time\":\(json(trainTime))",
        ]
        fields += phases.named.map { "\"time_\($0.name)\":\(json($0.seconds))" }
        return "{" + fields.joined(separator: ",") + "}"
    }

    private func json(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }
}

/// Appends `MetricsRecord`s to `<output_dir>/metrics.jsonl`. Every rank creates one; only the
/// one made with `isActive` (rank 0) touches the file, so call sites never branch on rank.
/// Each line goes to the kernel in one `O_APPEND` write as soon as it is logged: a crash loses
/// nothing already logged, and lines are never overwritten. A resumed run first drops the lines
/// past its checkpoint (`keepSteps(through:)`), then appends, so every step appears once.
public final class MetricsLog {
    /// Whether this rank writes.
    public let isActive: Bool
    /// The file, when active.
    public let url: URL?
    private var handle: FileHandle?

    /// Opens (creating if needed) `metrics.jsonl` in `directory` for appending, when active.
    public init(directory: URL, isActive: Bool) throws {
        self.isActive = isActive
        guard isActive else {
            url = nil
            handle = nil
            return
        }
        let url = directory.appendingPathComponent("metrics.jsonl")
        self.url = url
        handle = try Self.openForAppending(url)
    }

    deinit { try? handle?.close() }

    /// Drops the lines of steps after `step` (those a resumed run computes again), atomically:
    /// the kept lines go to a temporary file that replaces the old one. Nothing when inactive.
    public func keepSteps(through step: Int) throws {
        guard let url else { return }
        let data = (try? Data(contentsOf: url)) ?? Data()
        var kept = Data()
        for line in data.split(separator: UInt8(ascii: "\n")) {
            if let lineStep = Self.step(ofLine: line), lineStep > step { continue }
            kept.append(contentsOf: line)
            kept.append(UInt8(ascii: "\n"))
        }
        guard kept.count != data.count else { return }
        try? handle?.close()
        let temporary = url.appendingPathExtension("tmp-\(getpid())")
        do {
            try kept.write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw MetricsError.writeFailed(path: url.path, reason: String(cString: strerror(errno)))
            }
        } catch let error as MetricsError {
            throw error
        } catch {
            throw MetricsError.writeFailed(path: url.path, reason: error.localizedDescription)
        }
        handle = try Self.openForAppending(url)
    }

    /// The `"step"` of one metrics line; nil when the line has none.
    static func step(ofLine line: Data.SubSequence) -> Int? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
            return nil
        }
        return (object["step"] as? NSNumber)?.intValue
    }

    /// Writes one line (nothing when inactive).
    public func append(_ record: MetricsRecord) throws {
        guard let handle, let url else { return }
        try Self.write(Data((record.jsonLine + "\n").utf8), to: handle, path: url.path)
    }

    /// Opens `url` with `O_APPEND` (every write lands at the end, whoever else writes), creating it
    /// and its directory when missing.
    static func openForAppending(_ url: URL) throws -> FileHandle {
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw MetricsError.cannotOpen(path: url.path, reason: error.localizedDescription)
        }
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw MetricsError.cannotOpen(path: url.path, reason: String(cString: strerror(errno)))
        }
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    /// One `write` of `data` (no user-space buffering).
    static func write(_ data: Data, to handle: FileHandle, path: String) throws {
        do {
            try handle.write(contentsOf: data)
        } catch {
            throw MetricsError.writeFailed(path: path, reason: error.localizedDescription)
        }
    }
}
