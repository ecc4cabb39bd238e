// `dalle-train self-check`: closed-form collectives on every rank (a first test of a new cluster).
import ArgumentParser
import Collective

/// Runs the collective self-check.
struct SelfCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "self-check", abstract: "Check all-reduce, broadcast and barrier across the ranks.")

    @Flag(help: "Fail on purpose on the last rank (used by tests of error handling).")
    var failOnLastRank = false

    func run() throws {
        try SelfCheck.run(try Communicator.world(), failOnLastRank: failOnLastRank)
    }
}
