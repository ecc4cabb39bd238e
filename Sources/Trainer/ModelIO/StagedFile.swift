// A file written under a temporary name and published by rename only when complete, so no
// half-written output is ever taken for a finished one. Large buffers go straight to write(2).
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Appends bytes to `<dir>/.<name>.tmp-<pid>`; `commit()` renames it to its final name.
/// Dropped without `commit()`, the temporary file is removed.
public final class StagedFile {
    /// The final path.
    public let url: URL
    private let temporary: URL
    private var descriptor: Int32
    private var pending: [UInt8] = []
    /// Bytes appended so far.
    public private(set) var byteCount = 0

    /// Creates the temporary file next to `url`.
    public init(url: URL) throws {
        self.url = url
        temporary = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).tmp-\(getpid())")
        descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ModelIOError(file: url.path, "cannot create: \(String(cString: strerror(errno)))")
        }
        pending.reserveCapacity(1 << 16)
    }

    deinit {
        if descriptor >= 0 {
            close(descriptor)
            unlink(temporary.path)
        }
    }

    /// Appends small bytes (buffered).
    public func append(_ bytes: [UInt8]) throws {
        pending += bytes
        byteCount += bytes.count
        if pending.count >= 1 << 16 { try flush() }
    }

    /// Appends `bytes` (written directly when large).
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        if bytes.count < 1 << 14 {
            pending += bytes
            byteCount += bytes.count
            if pending.count >= 1 << 16 { try flush() }
            return
        }
        try flush()
        try writeAll(bytes)
        byteCount += bytes.count
    }

    private func flush() throws {
        guard !pending.isEmpty else { return }
        try pending.withUnsafeBytes { try writeAll($0) }
        pending.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, min(bytes.count - offset, 1 << 30))
            if written < 0, errno == EINTR { continue }
            guard written > 0 else {
                throw ModelIOError(file: url.path, "write failed: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    /// Flushes, optionally fsyncs (`sync`), closes and renames the file to its final name.
    public func commit(sync: Bool = true) throws {
        try flush()
        if sync, fsync(descriptor) != 0 {
            throw ModelIOError(file: url.path, "fsync failed: \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        descriptor = -1
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw ModelIOError(file: url.path, "cannot rename the finished file into place: \(reason)")
        }
    }
}
