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

struct SubcommandParsingTests {
    @Test func planBenchAndCheckReferenceParse() throws {
        let plan = try #require(
            try DalleTrain.parseAsRoot(["plan", "--model", "mega", "--ranks", "8", "--shard-optimizer-state"])
                as? Plan)
        #expect(plan.model == "mega" && plan.ranks == 8 && plan.shardOptimizerState)
        #expect(throws: (any Error).self) { try DalleTrain.parseAsRoot(["plan", "--ranks", "0"]) }
        let fits = Plan.sharedMemoryLine(sharedBytes: 1 << 30, freeBytes: 2 << 30)
        #expect(fits.hasSuffix("1.00 GiB; this machine's /dev/shm has 2.00 GiB free"))
        #expect(
            Plan.sharedMemoryLine(sharedBytes: 3 << 30, freeBytes: 2 << 30).contains("through MPI instead"))
        #if os(Linux)
            #expect(Plan.sharedMemoryFreeBytes() != nil)
        #endif
        let bench = try #require(
            try DalleTrain.parseAsRoot(["bench", "--batch-size", "4", "--json"]) as? Bench)
        #expect(bench.batchSize == 4 && bench.json && bench.model == "small")
        let check = try #require(
            try DalleTrain.parseAsRoot(["check-reference", "--trajectory", "some/dir"]) as? CheckReference)
        #expect(check.trajectory && check.directory == "some/dir")
        #expect(throws: (any Error).self) { try DalleTrain.parseAsRoot(["check-reference"]) }
    }
}
