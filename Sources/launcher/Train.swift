// `dalle-train train` (the default subcommand): data-parallel training on every rank.
import ArgumentParser
import Collective
import Foundation
import Trainer

/// Trains DalleBart; with no arguments, the `tiny` model on the built-in synthetic dataset.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train DalleBart data-parallel over the MPI ranks (the default subcommand).",
        discussion: """
            Options come from the defaults, then --config FILE (JSON, keys as in docs/TRAINING.md), \
            then the flags. After SIGTERM or SIGUSR1 every rank finishes its step, rank 0 writes a \
            checkpoint, and the job exits with status \(StopSignals.checkpointedExitStatus); a second \
            signal exits at once with status \(StopSignals.interruptedExitStatus).

            Options (defaults < --config file < flags; each flag is also a JSON key):
            \(TrainingOptions.flagHelp)
            """)

    /// Every training flag, read through Trainer's option table (`TrainingOptions.resolve`).
    @Argument(parsing: .allUnrecognized, help: .hidden)
    var arguments: [String] = []

    @Flag(help: .hidden)
    var failOnLastRank = false

    /// The run's options: defaults < --config file < flags, validated.
    func resolve() throws -> TrainingOptions {
        try TrainingOptions.resolve(arguments: arguments)
    }

    /// A bad flag, value or run-config file is a usage error (exit code 64) naming the option.
    func validate() throws {
        do {
            _ = try resolve()
        } catch let error as TrainingOptionsError {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        let comm = try Communicator.world()
        if failOnLastRank && comm.rank == comm.worldSize - 1 {
            throw SelfCheckError(description: "failing on purpose (--fail-on-last-rank)")
        }
        StopSignals.install()
        var options = try resolve()
        let threads = RankThreads.resolve(
            requested: options.threads, localRanks: TrainingSetup.ranksOnThisNode())
        options.threads = threads
        let outcome = try RankThreads.withPool(threads: threads) {
            try TrainingLoop.prepare(comm: comm, options: options).run()
        }
        switch outcome {
        case .finished, .paused:
            return
        case .stoppedBySignal:
            throw ExitCode(StopSignals.checkpointedExitStatus)
        }
    }
}
