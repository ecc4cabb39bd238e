// Command-line parsing and validation of the dalle-train subcommands.
import ArgumentParser
import Testing

@testable import launcher

struct OptionsTests {
    @Test func trainIsTheDefaultSubcommand() throws {
        let command = try DalleTrain.parseAsRoot([])
        #expect(command is Train)
    }

    @Test func benchAllReduceValidatesItsOptions() throws {
        let command = try DalleTrain.parseAsRoot(["bench-allreduce", "--mebibytes", "2", "--iterations", "5"])
        let bench = try #require(command as? BenchAllReduce)
        #expect(bench.mebibytes == [2])
        #expect(bench.iterations == 5)
        #expect(throws: (any Error).self) {
            try DalleTrain.parseAsRoot(["bench-allreduce", "--iterations", "0"])
        }
        #expect(DalleTrain.exitCode(for: ValidationError("x")) == .validationFailure)
    }

    @Test func unknownSubcommandFails() {
        #expect(throws: (any Error).self) { try DalleTrain.parseAsRoot(["no-such-command"]) }
    }
}
