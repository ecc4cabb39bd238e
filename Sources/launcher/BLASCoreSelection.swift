// OpenBLAS picks its kernels from the CPU's model number. On a CPU newer than the library it
// falls back to its generic Prescott (SSE3) kernels, ~3x slower than the CPU's own; then the
// launcher runs itself again with OPENBLAS_CORETYPE naming the family the CPU's flags support.
import Foundation
import Trainer

enum BLASCoreSelection {
    /// The core OpenBLAS's runtime dispatch falls back to for a CPU model it does not know.
    static let fallbackCore = "Prescott"
    /// Set (to the core OpenBLAS fell back to) in the environment of the re-run process.
    static let markerVariable = "DALLE_TRAIN_OPENBLAS_FALLBACK"
    /// AVX-512 subsets OpenBLAS's SkylakeX kernels use.
    static let skylakeXFlags = ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"]

    /// The OPENBLAS_CORETYPE to run with, or nil to keep what OpenBLAS chose: only when the user
    /// did not set OPENBLAS_CORETYPE and OpenBLAS fell back on a CPU with AVX2 and FMA.
    static func replacement(selected: String, environment: [String: String], flags: Set<String>?) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil, selected == fallbackCore, let flags,
            flags.contains("avx2"), flags.contains("fma")
        else { return nil }
        return skylakeXFlags.allSatisfy(flags.contains) ? "SkylakeX" : "Haswell"
    }

    /// Re-executes this program with the replacement core when there is one; returns (and keeps
    /// OpenBLAS's choice) when there is none or the re-execution fails.
    static func rerunIfFallback() {
        #if arch(x86_64) && os(Linux)
            let environment = ProcessInfo.processInfo.environment
            guard
                let core = replacement(
                    selected: BLASInfo.coreName, environment: environment, flags: CPUFeatures.flags())
            else { return }
            // The executable's own path, not /proc/self/exe: the process keeps its name (`ps`, `pkill`).
            // Started through a loader or tool (`ld.so ./dalle-train`, qemu), that path is the
            // loader's, not the program's: the run then keeps OpenBLAS's choice.
            guard let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
                let program = CommandLine.arguments.first, isProgram(path, invokedAs: program)
            else { return }
            setenv("OPENBLAS_CORETYPE", core, 1)
            setenv(markerVariable, fallbackCore, 1)
            execv(path, CommandLine.unsafeArgv)
            unsetenv("OPENBLAS_CORETYPE")  // execv returned: it failed; go on with OpenBLAS's choice
            unsetenv(markerVariable)
        #endif
    }

    /// Whether the executable at `path` is the program `argv[0]` names: the same file name, or,
    /// through symbolic links, the same file (a link on PATH, a relative path).
    static func isProgram(
        _ path: String, invokedAs argument: String,
        searchPath: String = ProcessInfo.processInfo.environment["PATH"] ?? ""
    ) -> Bool {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        if URL(fileURLWithPath: target).lastPathComponent == URL(fileURLWithPath: argument).lastPathComponent
        {
            return true
        }
        let candidates =
            argument.contains("/")
            ? [argument] : searchPath.split(separator: ":").map { "\($0)/\(argument)" }
        return candidates.contains { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path == target }
    }
}
