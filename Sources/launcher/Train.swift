// `dalle-train train` (the default subcommand).
import ArgumentParser
import Collective
import Foundation

/// Trains DalleBart. Until the training loop lands, it runs the collective self-check.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train DalleBart (default subcommand; currently runs the collective self-check).")

    @Flag(help: "Fail on purpose on the last rank (used by tests of error handling).")
    var failOnLastRank = false

    func run() throws {
        let comm = try Communicator.world()
        try SelfCheck.run(comm, failOnLastRank: failOnLastRank)
    }
}
