// Crash-safe file operations for checkpoints: write + fsync, fsync of directories, atomic
// replacement by rename. A crash at any point leaves either the old or the new file, never a mix.
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file-system operation that failed, with the path and the OS error.
public struct FileOperationError: Error, CustomStringConvertible {
    public let operation: String
    public let path: String
    public let code: Int32
    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(code))) (errno \(code)); check the disk space and permissions"
    }
}

/// Durable writes: data reaches the disk before a rename publishes it.
public enum DurableFiles {
    /// Writes `bytes` to `url` (created or truncated) and fsyncs the file.
    public static func write(_ bytes: UnsafeRawBufferPointer, to url: URL) throws {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw FileOperationError(operation: "open", path: url.path, code: errno)
        }
        defer { close(descriptor) }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(
                descriptor, bytes.baseAddress! + offset, min(bytes.count - offset, 1 << 30))
            if written < 0 {
                if errno == EINTR { continue }
                throw FileOperationError(operation: "write", path: url.path, code: errno)
            }
            offset += written
        }
        guard fsync(descriptor) == 0 else {
            throw FileOperationError(operation: "fsync", path: url.path, code: errno)
        }
    }

    /// Writes `data` durably to `url`.
    public static func write(_ data: Data, to url: URL) throws {
        try data.withUnsafeBytes { try write($0, to: url) }
    }

    /// Fsyncs a directory so that renames and new entries inside it survive a crash.
    public static func syncDirectory(_ url: URL) throws {
        let descriptor = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw FileOperationError(operation: "open", path: url.path, code: errno)
        }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw FileOperationError(operation: "fsync", path: url.path, code: errno)
        }
    }

    /// Atomically renames `source` to `destination` (same file system) and syncs the parent.
    public static func rename(_ source: URL, to destination: URL) throws {
        guard Glibc.rename(source.path, destination.path) == 0 else {
            throw FileOperationError(
                operation: "rename to \(destination.path)", path: source.path, code: errno)
        }
        try syncDirectory(destination.deletingLastPathComponent())
    }

    /// Replaces the small text file at `url` atomically (write a temporary sibling, then rename).
    public static func replaceText(_ text: String, at url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).tmp-\(getpid())")
        try write(Data(text.utf8), to: temporary)
        try rename(temporary, to: url)
    }
}
