// The CPU check before anything runs: the build's instruction sets are found in /proc/cpuinfo's
// flags, and a CPU without them is named with what it lacks.
import Testing

@testable import launcher

struct CPUFeaturesTests {
    @Test func thisMachineHasWhatTheBuildNeeds() {
        #expect(CPUFeatures.missing() == [])
    }

    @Test func anOlderCPUIsToldWhatItLacks() {
        #if arch(x86_64)
            let sandyBridge = "processor\t: 0\nflags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 popcnt avx\n"
            #expect(
                CPUFeatures.missing(cpuinfo: sandyBridge) == ["avx2", "fma", "f16c", "bmi1", "bmi2", "movbe"])
            let zen3 = "flags\t\t: fpu sse avx avx2 fma f16c bmi1 bmi2 movbe adx\nflags\t\t: unused\n"
            #expect(CPUFeatures.missing(cpuinfo: zen3) == [])
        #endif
        #expect(CPUFeatures.missing(cpuinfo: nil) == [])
    }
}
