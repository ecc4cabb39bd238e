// `dalle-train bench-checkpoint`: seconds to write and to load one complete checkpoint
// (parameters plus AdamW moments) of a preset model, through the trainer's own code path.
import ArgumentParser
import Collective
import Foundation
import Trainer

/// Writes and loads a checkpoint of `--model` several times and reports the medians.
struct BenchCheckpoint: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-checkpoint",
        abstract: "Measure checkpoint write and load time (parameters + AdamW state) of a preset.")

    @Option(help: "Model preset (tiny, small, micro, mini, mini_glu, mega).")
    var model = "small"

    @Option(help: "Directory the checkpoints are written under (removed afterwards).")
    var directory = FileManager.default.temporaryDirectory.appendingPathComponent("dalle-train-bench").path

    @Option(help: "zstd level of the payloads.")
    var level: Int32 = 1

    @Option(help: "zstd worker threads (0: compress in the writing thread).")
    var workers = 2

    @Option(help: "Timed write + load rounds (after one warm-up round).")
    var iterations = 5

    func validate() throws {
        guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
        guard (1...19).contains(level) else { throw ValidationError("--level must be in 1...19") }
        guard workers >= 0 else { throw ValidationError("--workers must be >= 0") }
    }

    func run() throws {
        // The trainer's process state: MPI initialized, malloc tuned to reuse large blocks.
        _ = try Communicator.world()
        let config = try DalleBartConfig.preset(model)
        let layout = ParameterLayout(config: config)
        let parameters = FlatBuffer(count: layout.count)
        Initialization.initialize(parameters, layout: layout, config: config, seed: 1)
        let optimizer = AdamW(parameterCount: layout.count, hyperparameters: AdamWHyperparameters())
        // Moments as after some training: small, varied values that compress as poorly as real ones.
        for i in 0..<layout.count {
            optimizer.m.pointer[i] = parameters.pointer[i] * 0.01
            optimizer.v.pointer[i] = parameters.pointer[i] * parameters.pointer[i] * 1e-3
        }
        optimizer.step = 1000
        let root = URL(fileURLWithPath: directory)
        defer { try? FileManager.default.removeItem(at: root) }
        let state = TrainerState(
            step: 1000, epoch: 0, samples: 0, trainTime: 0, rngSeed: 1, worldSize: 1, dataCursors: [],
            skippedSteps: 0, training: TrainingOptions())
        let loaded = (
            FlatBuffer(count: layout.count), AdamW(parameterCount: layout.count, hyperparameters: .init())
        )
        var writes: [Double] = []
        var loads: [Double] = []
        var byteCount = 0
        for iteration in 0...iterations {
            try? FileManager.default.removeItem(at: root)
            let writeStart = ContinuousClock.now
            let written = try Checkpoint.write(
                state: state, config: config, layout: layout, parameters: parameters, optimizer: optimizer,
                to: root, compression: CheckpointCompression(level: level, workers: workers))
            let writeSeconds = Self.seconds(since: writeStart)
            let loadStart = ContinuousClock.now
            _ = try Checkpoint.load(
                written, config: config, layout: layout, parameters: loaded.0, optimizer: loaded.1)
            let loadSeconds = Self.seconds(since: loadStart)
            byteCount = try Checkpoint.verify(written).files.values.reduce(0) { $0 + $1.byteCount }
            if iteration > 0 {
                writes.append(writeSeconds)
                loads.append(loadSeconds)
            }
        }
        guard memcmp(loaded.0.pointer, parameters.pointer, layout.count * 4) == 0,
            memcmp(loaded.1.v.pointer, optimizer.v.pointer, layout.count * 4) == 0
        else {
            throw ValidationError("the loaded checkpoint differs from the written one")
        }
        let raw = Double(3 * layout.count * 4)
        let median = { (values: [Double]) in values.sorted()[values.count / 2] }
        print(
            String(
                format:
                    "checkpoint %@: %d parameters, %.1f MB raw, %.1f MB on disk (zstd %d, %d workers)\n"
                    + "write median %.3f s (%.2f GB/s raw), min %.3f s\nload  median %.3f s (%.2f GB/s raw), min %.3f s",
                model, layout.count, raw / 1e6, Double(byteCount) / 1e6, level, workers, median(writes),
                raw / median(writes) / 1e9, writes.min() ?? 0, median(loads), raw / median(loads) / 1e9,
                loads.min() ?? 0))
    }

    private static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}
