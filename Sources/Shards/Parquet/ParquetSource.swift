// Random access to the bytes of a Parquet file: an open file read with pread, or a buffer in
// memory (the entry point for fuzzing and tests).
import Foundation

/// The bytes of one Parquet file.
final class ParquetSource {
    private enum Storage {
        case file(Int32)
        case memory([UInt8])
    }

    private let storage: Storage
    /// The file's size in bytes.
    let byteCount: Int
    /// Shown in errors.
    let path: String

    /// Opens `url` for reading.
    init(url: URL) throws {
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else {
            throw ShardError.cannotRead(path: url.path, reason: String(cString: strerror(errno)))
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ShardError.cannotRead(path: url.path, reason: reason)
        }
        storage = .file(descriptor)
        byteCount = Int(status.st_size)
        path = url.path
    }

    /// Wraps bytes already in memory; `name` stands for the path in errors.
    init(bytes: [UInt8], name: String) {
        storage = .memory(bytes)
        byteCount = bytes.count
        path = name
    }

    deinit {
        if case .file(let descriptor) = storage { close(descriptor) }
    }

    /// `count` bytes from `offset`; the range must lie inside the file (callers check first).
    func read(offset: Int, count: Int) throws -> [UInt8] {
        precondition(offset >= 0 && count >= 0 && count <= byteCount - offset, "read outside the file")
        switch storage {
        case .memory(let bytes):
            return Array(bytes[offset..<offset + count])
        case .file(let descriptor):
            return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                var done = 0
                while done < count {
                    let got = pread(
                        descriptor, buffer.baseAddress! + done, count - done, off_t(offset + done))
                    if got < 0 && errno == EINTR { continue }
                    guard got > 0 else {
                        initialized = 0
                        let reason = got < 0 ? String(cString: strerror(errno)) : "file shrank while reading"
                        throw ShardError.cannotRead(path: path, reason: reason)
                    }
                    done += got
                }
                initialized = count
            }
        }
    }
}
