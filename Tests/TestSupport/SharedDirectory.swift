// Temporary directories that every rank of a test run agrees on (rank 0 creates, broadcasts).
import Collective
import Foundation

/// Scratch directories for tests that run at 1 rank and under mpirun.
public enum SharedDirectory {
    /// A fresh, empty directory named after `name`, the same path on every rank.
    public static func make(_ name: String, comm: Communicator) throws -> URL {
        var path: [UInt8] = []
        if comm.isRoot {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent(
                "dalle-train-tests/\(name)-\(UUID().uuidString.prefix(8))")
            try? FileManager.default.removeItem(at: url)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            path = Array(url.path.utf8)
        }
        let received = try comm.broadcast(path)
        return URL(fileURLWithPath: String(decoding: received, as: UTF8.self))
    }
}
