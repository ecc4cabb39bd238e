// POSIX shared memory that every rank of a single-host job maps: rank 0 creates it, the others
// open it, and its name is unlinked as soon as all have mapped it, so a crash leaves nothing behind.
import CMPI
import Foundation

/// A mapping of the same memory in every rank of the job.
final class SharedSegment {
    /// Start of the mapping in this process.
    let base: UnsafeMutableRawPointer
    /// Bytes mapped.
    let byteCount: Int

    private init(base: UnsafeMutableRawPointer, byteCount: Int) {
        self.base = base
        self.byteCount = byteCount
    }

    deinit { munmap(base, byteCount) }

    /// Collective over `comm`: maps `byteCount` zeroed bytes shared by all ranks. Returns the
    /// same outcome on every rank: the segment, or why shared memory is not available (then the
    /// caller uses MPI). Throws only when MPI itself fails.
    static func create(
        comm: Communicator, byteCount: Int, serial: Int
    ) throws -> Result<SharedSegment, SharedMemoryUnavailable> {
        // Decided on rank 0 and broadcast: [errno of rank 0's creation, rank 0's pid].
        var header: [Int64] = [0, Int64(getpid())]
        let name = { (pid: Int64) in "/dalle-train-\(pid)-\(serial)" }
        var mapped: UnsafeMutableRawPointer?
        if comm.rank == 0 {
            let (pointer, error) = map(name: name(header[1]), byteCount: byteCount, create: true)
            mapped = pointer
            header[0] = Int64(error)
        }
        header = try comm.broadcast(header, root: 0)
        if header[0] != 0 {
            return .failure(
                .init(
                    reason: "rank 0 could not create \(byteCount) bytes in /dev/shm: "
                        + String(cString: strerror(Int32(header[0])))))
        }
        var localError: Int32 = 0
        if comm.rank != 0 {
            let (pointer, error) = map(name: name(header[1]), byteCount: byteCount, create: false)
            mapped = pointer
            localError = error
        }
        // Everyone has mapped (or failed) before rank 0 removes the name.
        let worst = try comm.allReduce(localError, .max)
        if comm.rank == 0 { shm_unlink(name(header[1])) }
        guard worst == 0, let mapped else {
            if let mapped { munmap(mapped, byteCount) }
            return .failure(
                .init(
                    reason: "a rank could not map the shared memory: "
                        + String(cString: strerror(worst))))
        }
        return .success(SharedSegment(base: mapped, byteCount: byteCount))
    }

    /// Opens (or creates and sizes) the POSIX shared-memory object `name` and maps it.
    /// Returns the mapping, or nil and the errno.
    private static func map(name: String, byteCount: Int, create: Bool) -> (UnsafeMutableRawPointer?, Int32) {
        let flags = create ? (O_CREAT | O_EXCL | O_RDWR) : O_RDWR
        let descriptor = shm_open(name, flags, 0o600)
        guard descriptor >= 0 else { return (nil, errno) }
        defer { close(descriptor) }
        if create {
            // posix_fallocate reserves the pages now: a full /dev/shm fails here, with ENOSPC,
            // instead of killing a rank with SIGBUS in the middle of a step.
            let error = posix_fallocate(descriptor, 0, off_t(byteCount))
            if error != 0 {
                shm_unlink(name)
                return (nil, error)
            }
        }
        let pointer = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0)
        guard let pointer, pointer != MAP_FAILED else {
            let error = errno
            if create { shm_unlink(name) }
            return (nil, error)
        }
        return (pointer, 0)
    }
}

/// Why the ranks' collectives over shared buffers go through MPI instead of shared memory.
public struct SharedMemoryUnavailable: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public var description: String { reason }
}
