// The checkpoints directory of a run: listing complete checkpoints, the `latest` pointer,
// keeping the newest K, and finding the newest checkpoint that verifies (with fallback).
import Foundation

/// `<output-dir>/checkpoints`: `step-XXXXXXXX/` directories plus a `latest` text file.
public struct CheckpointStore: Sendable {
    /// The checkpoints directory.
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    /// Complete (renamed into place) checkpoint directories, oldest first.
    public func checkpoints() -> [(step: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("step-"), let step = Int(name.dropFirst(5)) else { return nil }
            return (step, directory.appendingPathComponent(name))
        }.sorted { $0.0 < $1.0 }
    }

    /// Points `latest` at `checkpoint` (atomic replacement).
    public func publishLatest(_ checkpoint: URL) throws {
        try DurableFiles.replaceText(
            checkpoint.lastPathComponent + "\n", at: directory.appendingPathComponent("latest"))
    }

    /// The directory `latest` names, if any.
    public func latest() -> URL? {
        guard let text = try? String(contentsOf: directory.appendingPathComponent("latest"), encoding: .utf8)
        else {
            return nil
        }
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return name.isEmpty ? nil : directory.appendingPathComponent(name)
    }

    /// Removes all but the newest `keepLast` complete checkpoints, and temporary directories
    /// left by interrupted writes. Call only after a new checkpoint is complete.
    public func prune(keepLast: Int) throws {
        let fileManager = FileManager.default
        let all = checkpoints()
        if keepLast > 0 && all.count > keepLast {
            for old in all.prefix(all.count - keepLast) { try fileManager.removeItem(at: old.url) }
        }
        let names = (try? fileManager.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix(".step-") && (name.contains(".tmp-") || name.contains(".old-"))
        {
            try? fileManager.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    /// The newest checkpoint whose files all verify, newest first; each rejected one is
    /// reported through `report` with the reason. Nil when there is no checkpoint at all;
    /// throws when checkpoints exist but none verifies.
    public func newestValid(report: (String) -> Void) throws -> (url: URL, state: TrainerState)? {
        let all = checkpoints()
        if all.isEmpty { return nil }
        var rejected: [String] = []
        for candidate in all.reversed() {
            do {
                let state = try Checkpoint.verify(candidate.url)
                if !rejected.isEmpty {
                    report(
                        "falling back to \(candidate.url.lastPathComponent), the newest checkpoint that verifies"
                    )
                }
                return (candidate.url, state)
            } catch {
                report("skipping checkpoint \(candidate.url.lastPathComponent): \(error)")
                rejected.append("\(candidate.url.lastPathComponent): \(error)")
            }
        }
        throw CheckpointError.noValidCheckpoint(directory: directory.path, rejected: rejected)
    }
}
