// Whether this job's ranks share one host's memory, and the barrier they then synchronize on:
// one 64-byte slot per rank in a shared segment (an arrival epoch plus the call's description).
import CMPI
import Foundation

/// The shared-memory side of a communicator whose ranks all run on one host.
final class SharedMemoryGroup {
    let rank: Int
    let size: Int
    private let control: SharedSegment
    /// Barriers this rank has entered; every rank enters the same ones in the same order.
    private var epoch: Int64 = 0
    /// Shared buffers allocated so far; the last one's number identifies it in barrier checks.
    var serial = 0

    /// Words per slot: [epoch, then the call's (operation, lower bound, count) for even and for
    /// odd epochs]. Two copies, because a rank that leaves a barrier early may describe its next
    /// call while a slower rank still reads the description of this one. One cache line.
    private static let slotWords = 8

    private init(rank: Int, size: Int, control: SharedSegment) {
        self.rank = rank
        self.size = size
        self.control = control
    }

    /// Collective: the group, or why the ranks cannot use shared memory (more than one host,
    /// one rank, `DALLE_TRAIN_SHARED_MEMORY=off` on any rank, or no /dev/shm).
    static func make(comm: Communicator) throws -> Result<SharedMemoryGroup, SharedMemoryUnavailable> {
        if comm.worldSize == 1 {
            return .failure(.init(reason: "one rank: there is nothing to share"))
        }
        let disabled = ProcessInfo.processInfo.environment["DALLE_TRAIN_SHARED_MEMORY"] == "off"
        if try comm.allReduce(Int32(disabled ? 1 : 0), .max) != 0 {
            return .failure(.init(reason: "DALLE_TRAIN_SHARED_MEMORY=off"))
        }
        var nodeComm: MPI_Comm?
        try check(
            MPI_Comm_split_type(comm.comm, cmpi_comm_type_shared(), 0, cmpi_info_null(), &nodeComm),
            "MPI_Comm_split_type")
        var nodeSize: Int32 = 0
        try check(MPI_Comm_size(nodeComm, &nodeSize), "MPI_Comm_size")
        try check(MPI_Comm_free(&nodeComm), "MPI_Comm_free")
        // Every rank sees the same answer: all hosts hold fewer ranks than the world, or one holds all.
        guard Int(nodeSize) == comm.worldSize else {
            return .failure(
                .init(reason: "ranks on several hosts (\(nodeSize) of \(comm.worldSize) on this one)"))
        }
        let slotBytes = slotWords * MemoryLayout<Int64>.stride
        switch try SharedSegment.create(comm: comm, partBytes: slotBytes) {
        case .failure(let reason): return .failure(reason)
        case .success(let segment):
            return .success(SharedMemoryGroup(rank: comm.rank, size: comm.worldSize, control: segment))
        }
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

    /// Maps `count` zeroed Floats per rank in one segment; each rank's part starts on a page.
    func allocate(comm: Communicator, count: Int) throws -> Result<
        (SharedSegment, Int), SharedMemoryUnavailable
    > {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let stride = (max(count, 1) * MemoryLayout<Float>.stride + page - 1) / page * page
        switch try SharedSegment.create(comm: comm, partBytes: stride) {
        case .failure(let reason): return .failure(reason)
        case .success(let segment):
            serial += 1
            return .success((segment, stride))
        }
    }
}
