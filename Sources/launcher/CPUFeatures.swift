// The CPU's feature flags, and the check that it can run this build: the model code is compiled
// for x86-64 CPUs with AVX2 and FMA (Haswell and later, AMD Zen), and on an older CPU it would
// stop at the first such instruction, so the launcher checks first.
import Foundation

enum CPUFeatures {
    /// The instruction sets the Trainer module is compiled for (Package.swift: -target-cpu haswell).
    static let required = ["avx", "avx2", "fma", "f16c", "bmi1", "bmi2", "movbe"]

    /// The CPU's flags: the first `flags` line of `cpuinfo` (/proc/cpuinfo); nil when there is none.
    static func flags(cpuinfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))
        -> Set<String>?
    {
        guard let cpuinfo, let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return nil }
        return Set(line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }).map(String.init))
    }

    /// The required features the CPU's flags lack; empty when it has them all or when the flags
    /// cannot be read.
    static func missing(cpuinfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))
        -> [String]
    {
        #if arch(x86_64)
            guard let flags = flags(cpuinfo: cpuinfo) else { return [] }
            return required.filter { !flags.contains($0) }
        #else
            return []
        #endif
    }

    /// Exits with a message when the CPU lacks a required feature. Writes through Foundation, not
    /// the Trainer module's StandardStream: no code built for the newer CPU may run before this.
    static func requireOrExit() {
        let lacking = missing()
        guard !lacking.isEmpty else { return }
        FileHandle.standardError.write(
            Data(
                ("dalle-train: this build needs an x86-64 CPU with AVX2 and FMA (Haswell, Zen or later); "
                    + "this CPU lacks \(lacking.joined(separator: ", "))\n").utf8))
        exit(1)
    }
}
