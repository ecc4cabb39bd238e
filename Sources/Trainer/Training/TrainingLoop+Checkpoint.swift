// Saving and resuming through checkpoints: the collectives around rank 0's file work.
// Save: gather optimizer slices (sharded mode) and data cursors, rank 0 writes, barrier.
// Resume: rank 0 finds and loads the newest valid checkpoint, then broadcasts everything.
import Foundation
import Shards

extension TrainingLoop {
    /// Writes a checkpoint of the current step (every rank calls this; rank 0 writes).
    public func saveCheckpoint() throws {
        if parallel.isSharded {
            try parallel.gatherOptimizerState(m: optimizer.m, v: optimizer.v)
        }
        let cursorJSON = try JSONEncoder().encode(reader.cursor)
        let cursors = try comm.gather(Array(cursorJSON))
        if comm.isRoot {
            let state = TrainerState(
                step: step, epoch: reader.epoch, samples: samples, trainTime: trainTime,
                rngSeed: UInt64(options.seed), worldSize: comm.worldSize,
                dataCursors: try cursors.map { try JSONDecoder().decode(DataCursor.self, from: Data($0)) },
                skippedSteps: skippedSteps, training: options)
            let start = ContinuousClock.now
            let directory = try Checkpoint.write(
                state: state, config: config, layout: model.layout, parameters: parameters,
                optimizer: optimizer,
                to: store.directory,
                compression: CheckpointCompression(level: Int32(options.checkpointCompressionLevel)))
            try store.publishLatest(directory)
            try store.prune(keepLast: options.keepLast)
            let seconds = PhaseTimer.seconds(ContinuousClock.now - start)
            progress.note(
                "checkpoint \(directory.path) written in \(String(format: "%.2f", seconds)) s")
        }
        try comm.barrier()
    }

    /// Rank 0 picks the checkpoint `options.resume` asks for and loads it; every rank then
    /// receives parameters, optimizer state and counters by broadcast. Returns rank 0's
    /// trainer state (on every rank), or nil when the run starts fresh.
    func resumeIfRequested() throws -> TrainerState? {
        var stateJSON: [UInt8] = []
        var rootError: [UInt8] = []
        if comm.isRoot {
            do {
                if let found = try locateCheckpoint() {
                    let state = try Checkpoint.load(
                        found, config: config, layout: model.layout, parameters: parameters,
                        optimizer: optimizer)
                    stateJSON = Array(try state.jsonData())
                    progress.note("resuming from \(found.path) at step \(state.step)")
                }
            } catch {
                rootError = Array("\(error)".utf8)
            }
        }
        // Rank 0's failure must end every rank, not leave them waiting in the broadcasts below.
        let error = try comm.broadcast(rootError)
        if !error.isEmpty {
            throw SetupError("resume failed on rank 0: " + String(decoding: error, as: UTF8.self))
        }
        stateJSON = try comm.broadcast(stateJSON)
        guard !stateJSON.isEmpty else { return nil }
        let state = try JSONDecoder().decode(TrainerState.self, from: Data(stateJSON))
        try parallel.broadcastParameters(parameters)
        try comm.broadcast(optimizer.m.buffer)
        try comm.broadcast(optimizer.v.buffer)
        optimizer.step = Int(try comm.broadcast([Int64(optimizer.step)])[0])
        step = state.step
        samples = state.samples
        trainTime = state.trainTime
        skippedSteps = state.skippedSteps
        return state
    }

    /// The checkpoint directory to resume from (rank 0), per `--resume`.
    private func locateCheckpoint() throws -> URL? {
        switch options.resume {
        case .none:
            return nil
        case .path(let path):
            let url = URL(fileURLWithPath: path)
            _ = try Checkpoint.verify(url)
            return url
        case .auto:
            return try store.newestValid(report: { progress.note($0) })?.url
        }
    }
}
