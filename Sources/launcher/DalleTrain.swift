// The `dalle-train` executable: subcommands, and the one place that turns errors into
// "rank R: <message>" plus MPI_Abort so that no rank is left hanging in a collective.
import ArgumentParser
import Collective
import Foundation
import Trainer

@main
struct DalleTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dalle-train",
        abstract: "Data-parallel DalleBart (dalle-mini) training over MPI on CPUs.",
        subcommands: [
            Train.self,
            CheckReference.self,
            Sample.self,
            Export.self,
            BenchModelIO.self,
            Plan.self,
            Tokenize.self,
            Normalize.self,
            Import.self,
            ExportRecords.self,
            Synth.self,
            Inspect.self,
            Render.self,
            EncodeImages.self,
            DecodeCodes.self,
            BenchVQGAN.self,
            Env.self,
            SelfCheckCommand.self,
            Bench.self,
            BenchAllReduce.self,
            BenchReader.self,
            BenchCheckpoint.self,
        ],
        defaultSubcommand: Train.self)

    static func main() {
        CPUFeatures.requireOrExit()
        BLASCoreSelection.rerunIfFallback()
        var command: ParsableCommand
        do {
            try checkSubcommand(Array(CommandLine.arguments.dropFirst()))
            command = try parseAsRoot()
        } catch {
            exit(withError: error)  // usage errors: message and exit code 64, as argument-parser does
        }
        do {
            try command.run()
        } catch let error where isArgumentParserError(error) {
            exit(withError: error)  // help requests, clean exits and validation errors from run()
        } catch {
            fail(error)
        }
    }

    /// An argument before the options must name a subcommand: `train` takes every flag it does
    /// not know as its own, so an unknown word would otherwise run a training.
    static func checkSubcommand(_ arguments: [String]) throws {
        guard let first = arguments.first, !first.hasPrefix("-") else { return }
        let names = configuration.subcommands.map { $0._commandName } + ["help"]
        guard !names.contains(first) else { return }
        throw ValidationError(
            "unknown subcommand '\(first)'; the subcommands are: \(names.dropLast().joined(separator: ", "))")
    }

    /// True for the errors argument-parser itself throws (help, version, validation, exit codes).
    static func isArgumentParserError(_ error: Error) -> Bool {
        String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
    }

    /// Prints `rank R: <error>` on stderr and ends the whole job with MPI_Abort.
    static func fail(_ error: Error, code: Int32 = 1) -> Never {
        guard let comm = try? Communicator.world() else {
            StandardStream.error("rank ?: \(error)\n")
            Foundation.exit(code)
        }
        StandardStream.error("rank \(comm.rank): \(error)\n")
        comm.abort(code: code)
    }
}
