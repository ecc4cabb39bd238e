// `dalle-train env`: what each rank sees (MPI, OpenBLAS, SLURM) and warnings about it.
import ArgumentParser
import Collective
import Foundation
import Trainer

/// Prints one line per rank (gathered to rank 0, in rank order) and environment warnings.
struct Env: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print what every rank sees: MPI, OpenBLAS, SLURM; warn about oversubscription.")

    func run() throws {
        let comm = try Communicator.world()
        let report = RankEnvironment.current(comm)
        let encoded = try JSONEncoder().encode(report)
        let gathered = try comm.gather(Array(encoded))
        if comm.isRoot {
            let reports = try gathered.map { try JSONDecoder().decode(RankEnvironment.self, from: Data($0)) }
            for line in reports.map(\.line) { print(line) }
            for warning in RankEnvironment.warnings(for: reports) { print("warning: \(warning)") }
        }
        // The path the trainer's gradient average will take, checked with a real all-reduce.
        let probe = try comm.allocateShared(count: 4096)
        probe.buffer.update(repeating: 1)
        try comm.allReduce(probe)
        let correct =
            try comm.allReduce(
                Int32(probe.buffer.allSatisfy { $0 == Float(comm.worldSize) } ? 0 : 1), .max) == 0
        let layout = try comm.hostLayout()
        if comm.isRoot {
            print("layout: \(layout.description)")
            print("collectives: \(probe.collectivePaths); " + (correct ? "checked" : "WRONG RESULT"))
        }
        try comm.barrier()
        if !correct {
            throw SelfCheckError(description: "the all-reduce over a shared buffer gave a wrong sum")
        }
    }
}

/// What one rank reports about its environment.
struct RankEnvironment: Codable {
    var rank: Int
    var worldSize: Int
    var host: String
    var mpiVersion: String
    var threadLevel: String
    var blasCore: String
    /// Threads `train` would run on this rank without --threads (`RankThreads.resolve`).
    var threads: Int
    var cores: Int
    var cpuHasAVX512: Bool
    var coreTypeOverride: String?
    /// The core OpenBLAS fell back to before the launcher chose `blasCore` (BLASCoreSelection).
    var blasFallback: String?
    var slurm: [String: String]

    static func current(_ comm: Communicator) -> RankEnvironment {
        let environment = ProcessInfo.processInfo.environment
        let slurmKeys = [
            "SLURM_JOB_ID", "SLURM_JOB_NAME", "SLURM_NODELIST", "SLURM_NNODES", "SLURM_NTASKS",
            "SLURM_PROCID", "SLURM_LOCALID", "SLURM_CPUS_PER_TASK", "SLURM_RESTART_COUNT",
        ]
        return RankEnvironment(
            rank: comm.rank, worldSize: comm.worldSize, host: Communicator.processorName(),
            mpiVersion: Communicator.libraryVersion().split(separator: ",").first.map(String.init)
                ?? "unknown",
            threadLevel: comm.threadLevel.rawValue, blasCore: BLASInfo.coreName,
            threads: RankThreads.resolve(requested: nil, localRanks: TrainingSetup.ranksOnThisNode()),
            cores: ProcessInfo.processInfo.activeProcessorCount,
            cpuHasAVX512: CPUFeatures.flags()?.contains("avx512f") ?? false,
            coreTypeOverride: environment["OPENBLAS_CORETYPE"],
            blasFallback: environment[BLASCoreSelection.markerVariable],
            slurm: environment.filter { slurmKeys.contains($0.key) })
    }

    var line: String {
        var text = "rank \(rank)/\(worldSize) host \(host) | \(mpiVersion), \(threadLevel)"
        text += " | OpenBLAS \(blasCore)"
        if let blasFallback, blasFallback != blasCore {
            text += " (set by dalle-train: OpenBLAS chose \(blasFallback) for this CPU)"
        }
        text += ", \(threads) thread(s) per rank, \(cores) core(s)"
        if !slurm.isEmpty {
            text +=
                " | "
                + slurm.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        return text
    }

    /// Oversubscription per host and OpenBLAS kernels slower than the CPU supports.
    static func warnings(for reports: [RankEnvironment]) -> [String] {
        var warnings: [String] = []
        for (host, ranks) in Dictionary(grouping: reports, by: \.host).sorted(by: { $0.key < $1.key }) {
            let threads = ranks.map(\.threads).reduce(0, +)
            let cores = ranks.first?.cores ?? 0
            if threads > cores {
                warnings.append(
                    "host \(host): \(ranks.count) rank(s) x threads = \(threads) > \(cores) cores; "
                        + "pass --threads \(max(1, cores / ranks.count)) (threads x ranks <= cores)"
                )
            }
        }
        let slowed = reports.filter {
            $0.cpuHasAVX512 && $0.coreTypeOverride != nil && $0.blasFallback == nil
                && !isAVX512Core($0.blasCore)
        }
        if let first = slowed.first {
            warnings.append(
                "OPENBLAS_CORETYPE=\(first.coreTypeOverride ?? "") forces \(first.blasCore) (AVX2) kernels on "
                    + "\(slowed.count) rank(s) although the CPU supports AVX-512; unset OPENBLAS_CORETYPE "
                    + "and OPENBLAS_L2_SIZE for ~1.8x faster matrix products")
        }
        return warnings
    }

    static func isAVX512Core(_ name: String) -> Bool {
        ["skylakex", "cooperlake", "sapphirerapids", "zen4", "zen5"].contains(name.lowercased())
    }
}
