// A file opened for reading, its bytes mapped read-only (for walking a file's structure
// without copying it) and readable in ranges straight into caller memory (for bulk data).
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A read-only file: `bytes` maps it; `read(_:count:at:)` copies a range into caller memory.
/// Bulk data should go through `read`, which leaves no mapped pages behind in the process.
public final class MappedFile: @unchecked Sendable {
    /// The path, for error messages.
    public let path: String
    /// The whole file, mapped read-only (empty for an empty file).
    public let bytes: UnsafeRawBufferPointer
    private let descriptor: Int32

    /// Opens and maps `path`; throws `ModelIOError` when it cannot be opened or mapped.
    public init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ModelIOError(file: path, "cannot open: \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw ModelIOError(file: path, "not a regular file")
        }
        let size = Int(info.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != MAP_FAILED else {
            close(descriptor)
            throw ModelIOError(file: path, "cannot map \(size) bytes: \(String(cString: strerror(errno)))")
        }
        // The structure walk touches only headers; do not read ahead around them.
        _ = madvise(address, size, MADV_RANDOM)
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
        close(descriptor)
    }

    /// Copies `count` bytes starting at file offset `offset` into `destination`.
    public func read(_ destination: UnsafeMutableRawPointer, count: Int, at offset: Int) throws {
        guard offset >= 0, count >= 0, offset <= bytes.count, count <= bytes.count - offset else {
            throw ModelIOError(
                file: path,
                "byte range \(offset)..<\(offset + count) outside the file of \(bytes.count) bytes")
        }
        var done = 0
        while done < count {
            let chunk = min(count - done, 1 << 30)
            let result = pread(descriptor, destination + done, chunk, off_t(offset + done))
            if result < 0, errno == EINTR { continue }
            guard result > 0 else {
                throw ModelIOError(
                    file: path, "read failed at byte \(offset + done): \(String(cString: strerror(errno)))")
            }
            done += result
        }
    }
}
