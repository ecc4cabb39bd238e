// Float buffers that every rank of a host maps, so that collectives over them read and write the
// peers' memory directly instead of copying through MPI (docs/PERFORMANCE.md).
import Foundation

/// `count` zeroed Floats of this rank. When ranks share a host, the memory of every rank's
/// buffer is mapped in every rank of that host and `Communicator`'s collectives over the buffer
/// run in shared memory (with several hosts, MPI links one leader per host); otherwise it is
/// ordinary memory and the same calls go through MPI.
public final class SharedFloatBuffer: @unchecked Sendable {
    /// Floats in this rank's buffer.
    public let count: Int
    /// This rank's buffer; valid for the lifetime of the object.
    public let pointer: UnsafeMutablePointer<Float>
    /// The buffer of every rank of this host, indexed by position on the host (the rank on one
    /// host), when shared; nil when collectives use MPI.
    let ranks: [UnsafeMutablePointer<Float>]?
    /// Why the buffer is not shared (nil when it is).
    public let unsharedReason: String?
    /// The group whose ranks map the buffer, and the buffer's number in it (same on every rank).
    let group: SharedMemoryGroup?
    let serial: Int
    private let segment: SharedSegment?

    /// True when collectives over this buffer run in shared memory.
    public var isShared: Bool { ranks != nil }

    /// Which path each collective over this buffer takes (the run's first line and `env` print it).
    public var collectivePaths: String {
        guard let group else {
            return
                "all-reduce, reduce-scatter and all-gather through MPI (\(unsharedReason ?? "no shared memory"))"
        }
        if group.hostCount == 1 { return "all-reduce, reduce-scatter and all-gather in shared memory" }
        return
            "all-reduce: sum in shared memory on each host, MPI between the \(group.hostCount) host leaders "
            + "in \(Communicator.crossHostBucketCount >> 18) MiB buckets, copy in shared memory; "
            + "reduce-scatter: the same all-reduce; all-gather: MPI over all ranks"
    }

    /// This rank's buffer as a mutable buffer pointer.
    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    init(count: Int, segment: SharedSegment, stride: Int, group: SharedMemoryGroup) {
        self.count = count
        self.segment = segment
        self.group = group
        serial = group.serial
        let ranks = (0..<group.size).map { (segment.base + $0 * stride).assumingMemoryBound(to: Float.self) }
        self.ranks = ranks
        pointer = ranks[group.rank]
        unsharedReason = nil
    }

    init(privateCount count: Int, reason: String) {
        self.count = count
        segment = nil
        group = nil
        serial = 0
        ranks = nil
        unsharedReason = reason
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit {
        if segment == nil { pointer.deallocate() }
    }
}

extension Communicator {
    /// Collective (every rank, same `count`): a buffer of `count` zeroed Floats for the
    /// shared-memory collectives. Falls back to ordinary memory, on every rank alike, when the
    /// ranks are one per host, there is one rank, or /dev/shm cannot hold it on some host.
    public func allocateShared(count: Int) throws -> SharedFloatBuffer {
        precondition(count >= 0, "shared buffer of \(count) elements")
        if sharedMemory == nil { sharedMemory = try SharedMemoryGroup.make(comm: self) }
        switch sharedMemory! {
        case .failure(let unavailable):
            return SharedFloatBuffer(privateCount: count, reason: unavailable.reason)
        case .success(let group):
            // Same count everywhere, or the ranks' buffers would not line up.
            try group.barrier(
                call: SharedCall.allocate.code(buffer: group.serial + 1), count: count, name: "allocateShared"
            )
            switch try group.allocate(comm: self, count: count) {
            case .failure(let unavailable):
                return SharedFloatBuffer(privateCount: count, reason: unavailable.reason)
            case .success(let (segment, stride)):
                return SharedFloatBuffer(count: count, segment: segment, stride: stride, group: group)
            }
        }
    }
}

/// The collectives over shared buffers, as the barrier records them to catch ranks that disagree.
enum SharedCall: Int64 {
    case allocate = 1, allReduce, reduceScatter, allGather

    /// The barrier's description of this call on buffer number `buffer`; negated when this
    /// rank's own arguments are invalid, so that every rank fails together.
    func code(buffer: Int, valid: Bool = true) -> Int64 {
        let code = Int64(buffer) << 8 | rawValue
        return valid ? code : -code
    }

    /// Text for a code, in error messages.
    static func describe(_ code: Int64) -> String {
        if code == 0 { return "a plain barrier" }
        let invalid = code < 0 ? " with invalid arguments" : ""
        let name = SharedCall(rawValue: abs(code) & 0xff).map { "\($0)" } ?? "operation \(abs(code) & 0xff)"
        return "\(name) of shared buffer \(abs(code) >> 8)\(invalid)"
    }
}
