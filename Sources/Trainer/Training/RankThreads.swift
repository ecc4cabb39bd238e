// How many threads a rank runs (`--threads`), and binding them: the rank's pool does the work
// splitting, OpenBLAS runs each of its calls on one thread (docs/THREADS.md).
import Foundation

public enum RankThreads {
    /// `requested`, else SLURM_CPUS_PER_TASK, else OPENBLAS_NUM_THREADS, else the processors this
    /// rank may run on: its affinity mask, at most the host's cores divided among its ranks.
    public static func resolve(requested: Int?, localRanks: Int) -> Int {
        if let requested { return max(1, requested) }
        let environment = ProcessInfo.processInfo.environment
        for key in ["SLURM_CPUS_PER_TASK", "OPENBLAS_NUM_THREADS"] {
            if let value = environment[key].flatMap({ Int($0) }), value >= 1 { return value }
        }
        let share = max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, localRanks))
        return min(share, affinityCount() ?? share)
    }

    /// Processors in this process's affinity mask (`Cpus_allowed` of /proc/self/status; nil when
    /// it cannot be read).
    public static func affinityCount() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") })
        else { return nil }
        let digits = line.dropFirst("Cpus_allowed:".count).filter { $0.isHexDigit }
        let count = digits.reduce(0) { $0 + (Int(String($1), radix: 16) ?? 0).nonzeroBitCount }
        return count > 0 ? count : nil
    }

    /// Runs `body` with a pool of `threads` threads bound for the model's kernels, and OpenBLAS
    /// on one thread per call (the pool splits the products).
    public static func withPool<Result>(threads: Int, _ body: () throws -> Result) rethrows -> Result {
        BLASInfo.setThreadCount(1)
        return try WorkerPool.$current.withValue(WorkerPool(threads: threads), operation: body)
    }
}
