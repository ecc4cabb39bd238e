// When the launcher replaces OpenBLAS's generic fallback kernels: only for the fallback core,
// only without the user's own OPENBLAS_CORETYPE, and with the family the CPU's flags support.
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
}
