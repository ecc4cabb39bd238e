// POSIX shared memory that every rank of a single-host job maps: rank 0 creates the object, the
// others open it, and rank 0 unlinks its name as soon as all have mapped it (or on any error),
// so a crash leaves nothing behind. Each rank then reserves the pages of its own part.
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

    /// Collective over `comm`: maps `comm.worldSize` parts of `partBytes` zeroed bytes, shared by
    /// all ranks; part r is rank r's. Returns the same outcome on every rank: the segment, or why
    /// shared memory is not available (then the caller uses MPI). Throws only when MPI fails.
    static func create(comm: Communicator, partBytes: Int) throws -> Result<
        SharedSegment, SharedMemoryUnavailable
    > {
        let byteCount = partBytes * comm.worldSize
        // Nobody creates a name before every rank has come this far: a rank that died earlier
        // ends the job here, not while a name exists.
        try comm.barrier()
        // Decided on rank 0 and broadcast: [errno of the creation, pid, random nonce].
        var header: [Int64] = [0, Int64(getpid()), Int64(UInt32.random(in: 0...UInt32.max))]
        var descriptor: Int32 = -1
        var mapped: UnsafeMutableRawPointer?
        var name: String { "/dalle-train-\(header[1])-\(header[2])" }
        var linked = false
        defer {
            if linked { shm_unlink(name) }
            if descriptor >= 0 { close(descriptor) }
        }
        if comm.rank == 0 {
            (descriptor, mapped, header[0]) = open(name: name, byteCount: byteCount, create: true)
            linked = descriptor >= 0
        }
        header = try comm.broadcast(header, root: 0)
        if header[0] != 0 {
            return .failure(.init(reason: "rank 0 could not create shared memory: \(message(header[0]))"))
        }
        var error: Int64 = 0
        if comm.rank != 0 {
            (descriptor, mapped, error) = open(name: name, byteCount: byteCount, create: false)
        }
        // Everyone has mapped (or failed); the name can go.
        var worst = try comm.allReduce(error, .max)
        if linked {
            shm_unlink(name)
            linked = false
        }
        if worst == 0 {
            // Reserve this rank's pages now: a full /dev/shm fails here with ENOSPC instead of
            // killing a rank with SIGBUS in the middle of a step. The pages land near the rank
            // that first touches them, its own part.
            error = Int64(posix_fallocate(descriptor, off_t(comm.rank * partBytes), off_t(partBytes)))
            worst = try comm.allReduce(error, .max)
        }
        guard worst == 0, let mapped else {
            if let mapped { munmap(mapped, byteCount) }
            return .failure(
                .init(
                    reason: "could not map \(byteCount) bytes of shared memory in /dev/shm: \(message(worst))"
                ))
        }
        return .success(SharedSegment(base: mapped, byteCount: byteCount))
    }

    /// Opens (or creates and sizes) the POSIX shared-memory object `name` and maps it.
    /// Returns the open descriptor (-1 on failure), the mapping, and an errno (0 on success).
    private static func open(
        name: String, byteCount: Int, create: Bool
    ) -> (Int32, UnsafeMutableRawPointer?, Int64) {
        let descriptor = shm_open(name, create ? (O_CREAT | O_EXCL | O_RDWR) : O_RDWR, 0o600)
        guard descriptor >= 0 else { return (-1, nil, Int64(errno)) }
        if create && ftruncate(descriptor, off_t(byteCount)) != 0 {
            let error = errno
            shm_unlink(name)
            close(descriptor)
            return (-1, nil, Int64(error))
        }
        let pointer = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0)
        guard let pointer, pointer != MAP_FAILED else {
            let error = errno
            if create { shm_unlink(name) }
            close(descriptor)
            return (-1, nil, Int64(error))
        }
        return (descriptor, pointer, 0)
    }

    private static func message(_ error: Int64) -> String { String(cString: strerror(Int32(error))) }
}

/// Why the ranks' collectives over shared buffers go through MPI instead of shared memory.
public struct SharedMemoryUnavailable: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public var description: String { reason }
}
