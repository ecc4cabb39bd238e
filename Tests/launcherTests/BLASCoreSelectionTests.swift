// When the launcher replaces OpenBLAS's generic fallback kernels: only for the fallback core,
// only without the user's own OPENBLAS_CORETYPE, and with the family the CPU's flags support.
import Foundation
import Testing

@testable import launcher

struct BLASCoreSelectionTests {
    let avx2: Set<String> = ["sse4_2", "avx", "avx2", "fma"]
    var avx512: Set<String> { avx2.union(["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"]) }

    @Test func fallbackOnAnAVX512CPURunsSkylakeX() {
        #expect(
            BLASCoreSelection.replacement(selected: "Prescott", environment: [:], flags: avx512) == "SkylakeX"
        )
    }

    @Test func fallbackOnAnAVX2CPURunsHaswell() {
        #expect(
            BLASCoreSelection.replacement(selected: "Prescott", environment: [:], flags: avx2) == "Haswell")
        // AVX-512 foundation alone is not what the SkylakeX kernels need.
        let partial = avx2.union(["avx512f"])
        #expect(
            BLASCoreSelection.replacement(selected: "Prescott", environment: [:], flags: partial) == "Haswell"
        )
    }

    @Test func aRecognizedCPUOrTheUsersChoiceIsKept() {
        for core in ["Haswell", "Zen", "SkylakeX", "Cooperlake"] {
            #expect(BLASCoreSelection.replacement(selected: core, environment: [:], flags: avx512) == nil)
        }
        let chosen = ["OPENBLAS_CORETYPE": "Prescott"]
        #expect(
            BLASCoreSelection.replacement(selected: "Prescott", environment: chosen, flags: avx512) == nil)
    }

    @Test func withoutAVX2OrFlagsNothingChanges() {
        #expect(
            BLASCoreSelection.replacement(selected: "Prescott", environment: [:], flags: ["sse4_2", "avx"])
                == nil)
        #expect(BLASCoreSelection.replacement(selected: "Prescott", environment: [:], flags: nil) == nil)
    }

    @Test func theRerunFindsTheProgramThroughLinksButNotThroughALoader() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "blas-core-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let program = directory.appendingPathComponent("dalle-train").path
        FileManager.default.createFile(atPath: program, contents: Data())
        let link = directory.appendingPathComponent("dt").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: program)
        #expect(BLASCoreSelection.isProgram(program, invokedAs: "./build/dalle-train"))
        #expect(BLASCoreSelection.isProgram(program, invokedAs: link))
        #expect(
            BLASCoreSelection.isProgram(program, invokedAs: "dt", searchPath: "/nowhere:\(directory.path)"))
        #expect(!BLASCoreSelection.isProgram(program, invokedAs: "dt", searchPath: "/nowhere"))
        // `ld.so ./dalle-train`: the executable is the loader.
        #expect(!BLASCoreSelection.isProgram("/lib64/ld-linux-x86-64.so.2", invokedAs: program))
    }
}
