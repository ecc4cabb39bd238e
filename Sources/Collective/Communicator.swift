// The world communicator: MPI init (singleton or under mpirun), rank, world size, abort,
// finalize at process exit. Collectives live in Communicator+*.swift.
import CMPI
import Foundation

/// The process group of the whole job. Created once per process by `world()`; the same type
/// serves 1 rank (a singleton process without mpirun) and N ranks.
public final class Communicator: @unchecked Sendable {
    /// This process's rank in `0..<worldSize`.
    public let rank: Int
    /// Number of processes in the job.
    public let worldSize: Int
    /// The thread support level MPI granted (requested: `MPI_THREAD_MULTIPLE`).
    public let threadLevel: ThreadLevel
    /// True on rank 0, the coordinator that alone writes metrics and checkpoints.
    public var isRoot: Bool { rank == 0 }

    let comm: MPI_Comm
    /// Set up by the first `allocateShared`: the ranks' shared-memory group, or why there is none.
    var sharedMemory: Result<SharedMemoryGroup, SharedMemoryUnavailable>?
    /// Made by the first `hostGroups()`: the ranks of this host and the host leaders.
    var groups: HostGroups?
    /// Seconds this rank spent in MPI between hosts as a host leader (the several-host
    /// all-reduce's middle stage), summed over the process's lifetime; 0 on other ranks.
    public internal(set) var betweenHostsSeconds: Double = 0
    /// Tests only (`simulatingHosts`): each rank's host index, replacing the shared-memory split.
    var simulatedHostOfRank: [Int]?

    private static let lock = NSLock()
    nonisolated(unsafe) private static var shared: Communicator?

    private init(rank: Int, worldSize: Int, threadLevel: ThreadLevel, comm: MPI_Comm = cmpi_comm_world()) {
        self.rank = rank
        self.worldSize = worldSize
        self.threadLevel = threadLevel
        self.comm = comm
    }

    /// A group of just this process (MPI_COMM_SELF): rank 0 of 1, whatever the job's size.
    /// Lets one rank run the same code as a 1-rank job, e.g. to compare N ranks against 1.
    public static func selfOnly() throws -> Communicator {
        let world = try world()
        try check(MPI_Comm_set_errhandler(cmpi_comm_self(), cmpi_errors_return()), "MPI_Comm_set_errhandler")
        return Communicator(rank: 0, worldSize: 1, threadLevel: world.threadLevel, comm: cmpi_comm_self())
    }

    /// A communicator over `comm`, made by splitting or duplicating `parent`; errors come back
    /// as return codes, as for the world.
    static func wrapping(_ comm: MPI_Comm?, parent: Communicator) throws -> Communicator {
        guard let comm else {
            throw CollectiveError.invalidArgument(call: "MPI_Comm_split", reason: "no communicator returned")
        }
        try check(MPI_Comm_set_errhandler(comm, cmpi_errors_return()), "MPI_Comm_set_errhandler")
        var rank: Int32 = 0
        var size: Int32 = 0
        try check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank")
        try check(MPI_Comm_size(comm, &size), "MPI_Comm_size")
        return Communicator(
            rank: Int(rank), worldSize: Int(size), threadLevel: parent.threadLevel, comm: comm)
    }

    /// The world communicator; initializes MPI on first use and registers `MPI_Finalize` at exit.
    public static func world() throws -> Communicator {
        lock.lock()
        defer { lock.unlock() }
        if let shared { return shared }
        // Large all-reduces collapse without this (docs/PERFORMANCE.md): must precede MPI's first malloc.
        cmpi_tune_malloc()
        var provided: Int32 = 0
        try check(MPI_Init_thread(nil, nil, cmpi_thread_multiple(), &provided), "MPI_Init_thread")
        // Errors come back as return codes (and become thrown errors) instead of aborting inside MPI.
        try check(MPI_Comm_set_errhandler(cmpi_comm_world(), cmpi_errors_return()), "MPI_Comm_set_errhandler")
        var rank: Int32 = 0
        var size: Int32 = 0
        try check(MPI_Comm_rank(cmpi_comm_world(), &rank), "MPI_Comm_rank")
        try check(MPI_Comm_size(cmpi_comm_world(), &size), "MPI_Comm_size")
        let communicator = Communicator(
            rank: Int(rank), worldSize: Int(size), threadLevel: ThreadLevel(mpiValue: provided))
        shared = communicator
        atexit { Communicator.finalizeAtExit() }
        return communicator
    }

    private static func finalizeAtExit() {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { MPI_Finalize() }
    }

    /// Ends every rank of the job with `code` (MPI_Abort); used so that no rank hangs in a
    /// collective after another rank failed. Flushes stdout and stderr first.
    public func abort(code: Int32) -> Never {
        fflush(stdout)
        fflush(stderr)
        MPI_Abort(comm, code)
        exit(code)  // MPI_Abort does not return; this satisfies the type checker.
    }

    /// MPI's library version string (for example "Open MPI v4.1.4, ...").
    public static func libraryVersion() -> String {
        var buffer = [CChar](repeating: 0, count: Int(cmpi_max_library_version_string()) + 1)
        var length: Int32 = 0
        guard MPI_Get_library_version(&buffer, &length) == cmpi_success() else { return "unknown" }
        let bytes = buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The name of this processor (host) as MPI reports it.
    public static func processorName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        var length: Int32 = 0
        guard MPI_Get_processor_name(&buffer, &length) == cmpi_success() else { return "unknown" }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// MPI thread support levels.
public enum ThreadLevel: String, Sendable {
    case single = "MPI_THREAD_SINGLE"
    case funneled = "MPI_THREAD_FUNNELED"
    case serialized = "MPI_THREAD_SERIALIZED"
    case multiple = "MPI_THREAD_MULTIPLE"

    init(mpiValue: Int32) {
        switch mpiValue {
        case cmpi_thread_multiple(): self = .multiple
        case cmpi_thread_serialized(): self = .serialized
        case cmpi_thread_funneled(): self = .funneled
        default: self = .single
        }
    }
}
