// Saving and resuming through checkpoints: the collectives around rank 0's file work.
// Save: gather optimizer slices (sharded mode) and data cursors, rank 0 writes, barrier.
// Resume: rank 0 finds and loads the newest valid checkpoint, then broadcasts everything.
import Foundation
import Shards

extension TrainingLoop {
    /// Writes a checkpoint of the current step (every rank calls this; rank 0 writes).
    public func saveCheckpoint() throws {
        let moments = try completeState()
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
                optimizer: moments ?? optimizer,  // rank 0 always has the complete state
                to: store.directory,
                compression: CheckpointCompression(level: Int32(options.checkpointCompressionLevel)))
            try store.publishLatest(directory)
            try store.prune(keepLast: options.keepLast)
            let seconds = PhaseTimer.seconds(ContinuousClock.now - start)
            progress.note(
                "checkpoint \(directory.path) written in \(String(format: "%.2f", seconds)) s")
            warnIfBeyondGrace(checkpointSeconds: seconds)
        }
        try comm.barrier()
    }

    /// Once per run: warns when the longest step plus this checkpoint would not fit in the time
    /// mpirun leaves the ranks after a SIGTERM.
    private func warnIfBeyondGrace(checkpointSeconds: Double) {
        guard !hasWarnedAboutGrace,
            let grace = MpirunGrace.seconds(environment: ProcessInfo.processInfo.environment),
            let warning = MpirunGrace.warning(
                neededSeconds: longestStepSeconds + checkpointSeconds, graceSeconds: grace)
        else { return }
        hasWarnedAboutGrace = true
        progress.note(warning)
    }

    /// Rank 0 picks the checkpoint `options.resume` asks for and loads it; every rank then
    /// receives parameters, optimizer state and counters by broadcast. Returns rank 0's
    /// trainer state (on every rank), or nil when the run starts fresh.
    func resumeIfRequested() throws -> TrainerState? {
        // Rank 0 loads the complete state (into a staging optimizer when the state is sharded), then
        // every rank receives its part.
        let staging: (any ParameterOptimizer)? =
            !comm.isRoot ? nil : parallel.isSharded ? fullOptimizer() : optimizer
        var stateJSON: [UInt8] = []
        try comm.rootFirst {
            guard let found = try locateCheckpoint(), let staging else { return }
            let state = try Checkpoint.load(
                found, config: config, layout: model.layout, parameters: parameters, optimizer: staging)
            stateJSON = Array(try state.jsonData())
            progress.note("resuming from \(found.path) at step \(state.step)")
        }
        stateJSON = try comm.broadcast(stateJSON)
        guard !stateJSON.isEmpty else { return nil }
        let state = try JSONDecoder().decode(TrainerState.self, from: Data(stateJSON))
        try parallel.broadcastParameters(parameters)
        if parallel.isSharded, let adam = optimizer as? AdamW {
            let complete = staging as? AdamW
            try parallel.distributeOwned(from: complete?.m, into: adam.m)
            try parallel.distributeOwned(from: complete?.v, into: adam.v)
        } else if parallel.isSharded {
            try parallel.distributeState(
                from: staging?.stateTensors(layout: model.layout),
                into: optimizer.stateTensors(layout: model.layout))
        } else {
            for tensor in optimizer.stateTensors(layout: model.layout) {
                try comm.broadcast(UnsafeMutableBufferPointer(start: tensor.pointer, count: tensor.count))
            }
        }
        optimizer.step = Int(try comm.broadcast([Int64(staging?.step ?? 0)])[0])
        step = state.step
        samples = state.samples
        trainTime = state.trainTime
        skippedSteps = state.skippedSteps
        return state
    }

    /// The complete optimizer state on rank 0 (sharded: gathered from every rank's owned part;
    /// Shampoo: every rank's statistics summed in; otherwise the optimizer itself), nil elsewhere.
    func completeState() throws -> (any ParameterOptimizer)? {
        guard parallel.isSharded else {
            try parallel.completeState(optimizer)
            return comm.isRoot ? optimizer : nil
        }
        let full = comm.isRoot ? fullOptimizer() : nil
        if let adam = optimizer as? AdamW {
            let complete = full as? AdamW
            try parallel.gatherOwned(adam.m, into: complete?.m)
            try parallel.gatherOwned(adam.v, into: complete?.v)
        } else {
            try parallel.gatherState(
                optimizer.stateTensors(layout: model.layout), into: full?.stateTensors(layout: model.layout))
        }
        full?.step = optimizer.step
        return full
    }

    /// An optimizer with state for every parameter and this run's hyperparameters (rank 0's
    /// staging in the sharded mode).
    private func fullOptimizer() -> any ParameterOptimizer {
        options.optimizerSettings.makeOptimizer(layout: model.layout)
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
