// Which ranks share a host's memory, and the barrier they synchronize on: one 64-byte slot per
// rank of the host in a shared segment (an arrival epoch plus the call's description).
import CMPI
import Foundation

/// The shared-memory side of a communicator: the ranks of this rank's host, which map each
/// other's buffers, and (with several hosts) the group of host leaders that links the hosts.
final class SharedMemoryGroup {
    /// This rank's position on its host.
    let rank: Int
    /// Ranks on this host.
    let size: Int
    /// The ranks of this host (`rank` and `size` are this communicator's).
    let host: Communicator
    /// The ranks at this rank's position on every host; position 0's carries the traffic between hosts.
    let crossHost: Communicator
    /// Hosts in the job: 1 means the shared-memory collectives cover every rank.
    let hostCount: Int
    private let control: SharedSegment
    /// Barriers this rank has entered; every rank enters the same ones in the same order.
    private var epoch: Int64 = 0
    /// Shared buffers allocated so far; the last one's number identifies it in barrier checks.
    var serial = 0

    /// Words per slot: [epoch, then the call's (operation, lower bound, count) for even and for
    /// odd epochs]. Two copies, because a rank that leaves a barrier early may describe its next
    /// call while a slower rank still reads the description of this one. One cache line.
    private static let slotWords = 8

    private init(groups: HostGroups, control: SharedSegment) {
        self.rank = groups.host.rank
        self.size = groups.host.worldSize
        self.host = groups.host
        self.crossHost = groups.crossHost
        self.hostCount = groups.layout.hostCount
        self.control = control
    }

    /// Collective: the group, or why the ranks cannot use shared memory (one rank, one rank per
    /// host, `DALLE_TRAIN_SHARED_MEMORY=off` on any rank, or no /dev/shm on some host). The
    /// outcome is the same on every rank.
    static func make(comm: Communicator) throws -> Result<SharedMemoryGroup, SharedMemoryUnavailable> {
        if comm.worldSize == 1 {
            return .failure(.init(reason: "one rank: there is nothing to share"))
        }
        let disabled = ProcessInfo.processInfo.environment["DALLE_TRAIN_SHARED_MEMORY"] == "off"
        if try comm.allReduce(Int32(disabled ? 1 : 0), .max) != 0 {
            return .failure(.init(reason: "DALLE_TRAIN_SHARED_MEMORY=off"))
        }
        let groups = try comm.hostGroups()
        if groups.layout.ranksPerHost.allSatisfy({ $0 == 1 }) {
            return .failure(.init(reason: "one rank per host: nothing to share within a host"))
        }
        let slotBytes = slotWords * MemoryLayout<Int64>.stride
        let created = try agreed(
            try SharedSegment.create(comm: groups.host, partBytes: slotBytes), over: comm)
        return created.map { SharedMemoryGroup(groups: groups, control: $0) }
    }

    /// Collective over `comm`: `result` where it succeeded on every host, else a failure on
    /// every rank (a host whose /dev/shm is full makes every host use MPI).
    static func agreed<T>(
        _ result: Result<T, SharedMemoryUnavailable>, over comm: Communicator
    ) throws -> Result<T, SharedMemoryUnavailable> {
        var isFailed: Int32 = 0
        if case .failure = result { isFailed = 1 }
        if try comm.allReduce(isFailed, .max) == 0 || isFailed == 1 { return result }
        return .failure(.init(reason: "shared memory is unavailable on another host"))
    }

    private func slot(_ rank: Int) -> UnsafeMutablePointer<Int64> {
        control.base.assumingMemoryBound(to: Int64.self) + rank * Self.slotWords
    }

    /// Waits until every rank has arrived. Everything a rank wrote before arriving is visible
    /// to every rank after it leaves. `call` (operation and buffer, see `SharedCall.code`),
    /// `lower` and `count` describe the collective; when the ranks disagree about them, every
    /// rank throws (after all have arrived, so they stay in step) instead of corrupting memory.
    func barrier(call: Int64 = 0, lower: Int = 0, count: Int = 0, name: String = "barrier") throws {
        let mine = slot(rank)
        epoch += 1
        let description = 1 + Int(epoch % 2) * 3
        mine[description] = call
        mine[description + 1] = Int64(lower)
        mine[description + 2] = Int64(count)
        cmpi_store_release(mine, epoch)
        for other in 0..<size {
            var spins = 0
            while cmpi_load_acquire(slot(other)) < epoch {
                spins += 1
                // Spin briefly (the peer is usually microseconds away), then give the core to
                // other processes: with more ranks than cores a pure spin would starve them.
                if spins < 2_000 { cmpi_spin_pause() } else { sched_yield() }
            }
        }
        // Every rank has published this barrier's description, and none can publish the next
        // but one before this rank arrives at the next barrier.
        for other in 0..<size {
            let theirs = slot(other)
            let (theirCall, theirLower, theirCount) =
                (theirs[description], theirs[description + 1], theirs[description + 2])
            if theirCall != call || theirLower != Int64(lower) || theirCount != Int64(count) {
                throw CollectiveError.invalidArgument(
                    call: name,
                    reason: "ranks disagree: rank \(rank) called \(SharedCall.describe(call)) on elements "
                        + "\(lower)..<\(lower + count), rank \(other) \(SharedCall.describe(theirCall)) on "
                        + "\(theirLower)..<\(theirLower + theirCount)")
            }
        }
    }

    /// Collective over `comm`: maps `count` zeroed Floats per rank of this host in one segment;
    /// each rank's part starts on a page. Fails on every rank when it fails on any host.
    func allocate(comm: Communicator, count: Int) throws -> Result<
        (SharedSegment, Int), SharedMemoryUnavailable
    > {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let stride = (max(count, 1) * MemoryLayout<Float>.stride + page - 1) / page * page
        switch try Self.agreed(try SharedSegment.create(comm: host, partBytes: stride), over: comm) {
        case .failure(let reason): return .failure(reason)
        case .success(let segment):
            serial += 1
            return .success((segment, stride))
        }
    }
}
