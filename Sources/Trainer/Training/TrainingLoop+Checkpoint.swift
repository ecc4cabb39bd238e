// Saving and resuming through checkpoints: the collectives around rank 0's file work.
// Save: gather optimizer slices (sharded mode) and data cursors, rank 0 writes, barrier.
// Resume: rank 0 finds and loads the newest valid checkpoint, then broadcasts everything.
import Foundation
import Shards

extension TrainingLoop {
    /// Writes a checkpoint of the current step (every rank calls this; rank 0 writes).
    public func saveCheckpoint() throws {
        let moments = try completeMoments()
        try parallel.completeState(optimizer)
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
                optimizer: moments ?? optimizer,
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
        // Sharded moments: rank 0 loads complete ones here, then scatters each rank its slice.
        let staging = parallel.isSharded && comm.isRoot ? fullAdamW() : nil
        var stateJSON: [UInt8] = []
        var rootError: [UInt8] = []
        if comm.isRoot {
            do {
                if let found = try locateCheckpoint() {
                    let state = try Checkpoint.load(
                        found, config: config, layout: model.layout, parameters: parameters,
                        optimizer: staging ?? optimizer)
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
        try distributeMoments(from: staging)
        optimizer.step = Int(try comm.broadcast([Int64((staging ?? optimizer).step)])[0])
        step = state.step
        samples = state.samples
        trainTime = state.trainTime
        skippedSteps = state.skippedSteps
        return state
    }

    /// Sharded mode: complete moments on rank 0 (gathered from every rank's slice; the tail is
    /// the same on every rank), nil elsewhere and in the replicated mode, where every rank's
    /// moments are already complete.
    func completeMoments() throws -> AdamW? {
        guard parallel.isSharded, let optimizer = optimizer as? AdamW else { return nil }
        let full = comm.isRoot ? fullAdamW() : nil
        let n = parallel.sliceCount
        let even = comm.worldSize * n
        for (local, complete) in [(optimizer.m, full?.m), (optimizer.v, full?.v)] {
            try comm.gatherSlices(
                UnsafeBufferPointer(start: local.pointer, count: n),
                into: complete.map { UnsafeMutableBufferPointer(start: $0.pointer, count: even) })
            complete?.pointer.advanced(by: even).update(
                from: local.pointer + n, count: model.layout.count - even)
        }
        full?.step = optimizer.step
        return full
    }

    /// The inverse of `completeMoments` after a resume: replicated, every rank receives rank 0's
    /// moments; sharded, each rank receives its slice of rank 0's `staging` and the shared tail.
    func distributeMoments(from staging: AdamW?) throws {
        guard parallel.isSharded, let optimizer = optimizer as? AdamW else {
            for tensor in optimizer.stateTensors(layout: model.layout) {
                try comm.broadcast(UnsafeMutableBufferPointer(start: tensor.pointer, count: tensor.count))
            }
            return
        }
        let n = parallel.sliceCount
        let even = comm.worldSize * n
        let tailCount = model.layout.count - even
        for (local, complete) in [(optimizer.m, staging?.m), (optimizer.v, staging?.v)] {
            try comm.scatterSlices(
                complete.map { UnsafeBufferPointer(start: $0.pointer, count: even) },
                into: UnsafeMutableBufferPointer(start: local.pointer, count: n))
            if let complete { (local.pointer + n).update(from: complete.pointer + even, count: tailCount) }
            try comm.broadcast(UnsafeMutableBufferPointer(start: local.pointer + n, count: tailCount))
        }
    }

    /// An AdamW with moments for every parameter and this run's hyperparameters (sharded mode's
    /// staging on rank 0).
    private func fullAdamW() -> AdamW {
        AdamW(parameterCount: model.layout.count, hyperparameters: options.adamW)
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
