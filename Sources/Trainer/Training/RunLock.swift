// One job per output directory: rank 0 holds an exclusive lock on `<output_dir>/.dalle-train.lock`
// for the life of its process. The kernel releases it when the process ends, however it ends.
import Foundation

/// An exclusive `flock` on a run directory's lock file; the file names the holder (PID and host).
public final class RunLock {
    /// The lock file.
    public let url: URL
    private let descriptor: Int32

    /// The lock file's name inside an output directory.
    public static let fileName = ".dalle-train.lock"

    /// Takes the lock of `directory` (created when missing) without waiting; throws naming the job
    /// that holds it.
    public init(directory: URL) throws {
        url = directory.appendingPathComponent(Self.fileName)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw SetupError("\(url.path): cannot open the run lock: \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOf: url, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            throw SetupError(
                "output directory \(directory.path) is in use by another job (\(holder ?? "holder unknown")); "
                    + "give this run its own --output-dir, or wait for that job to end")
        }
        let holder = "pid \(getpid()) on host \(ProcessInfo.processInfo.hostName)\n"
        _ = ftruncate(descriptor, 0)
        _ = holder.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    deinit { close(descriptor) }  // also releases the lock
}
