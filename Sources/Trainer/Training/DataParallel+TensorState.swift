// Checkpoints of optimizer state sharded by tensors: every rank's named state tensors are copied
// into rank 0's complete optimizer before a save, and back to their owners after a load, matched
// by name through a manifest every rank agrees on.
import Collective
import Foundation

extension DataParallel {
    /// Collective: every rank's `local` state tensors land in rank 0's `complete` state (nil on the
    /// other ranks), matched by name. Throws on every rank when rank 0 lacks a tensor or its size
    /// differs.
    public func gatherState(_ local: [OptimizerStateTensor], into complete: [OptimizerStateTensor]?) throws {
        try exchangeState(local: local, complete: complete, toRoot: true)
    }

    /// Collective, the inverse of `gatherState`: every rank's `local` state tensors receive rank 0's
    /// tensors of the same names from `complete` (nil on the other ranks).
    public func distributeState(from complete: [OptimizerStateTensor]?, into local: [OptimizerStateTensor])
        throws
    {
        try exchangeState(local: local, complete: complete, toRoot: false)
    }

    /// One state tensor of one rank, as the manifest lists it.
    private struct StateEntry: Codable {
        var rank: Int
        var name: String
        var count: Int
    }

    private func exchangeState(
        local: [OptimizerStateTensor], complete: [OptimizerStateTensor]?, toRoot: Bool
    ) throws {
        precondition(comm.isRoot == (complete != nil), "the complete state lives on rank 0 only")
        let manifest = try stateManifest(local)
        let completeByName = Dictionary(
            (complete ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let localByName = Dictionary(local.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        try agreeOnManifest(manifest, complete: completeByName)
        let scratch = FlatBuffer(count: min(bucketCount, manifest.map(\.count).max() ?? 0))
        for entry in manifest {
            let mine = entry.rank == comm.rank ? localByName[entry.name] : nil
            let root = completeByName[entry.name]
            if entry.rank == 0 {
                guard let mine, let root else { continue }  // rank 0's own tensors stay on rank 0
                if toRoot { root.pointer.update(from: mine.pointer, count: entry.count) }
                if !toRoot { mine.pointer.update(from: root.pointer, count: entry.count) }
                continue
            }
            var start = 0
            while start < entry.count {
                let count = min(bucketCount, entry.count - start)
                let pointer = (mine ?? root).map { $0.pointer + start } ?? scratch.pointer
                try comm.broadcast(
                    UnsafeMutableBufferPointer(start: pointer, count: count), root: toRoot ? entry.rank : 0)
                start += count
            }
        }
    }

    /// Every rank's state tensors (rank, name, count), in rank then storage order, on every rank.
    private func stateManifest(_ local: [OptimizerStateTensor]) throws -> [StateEntry] {
        let mine = local.map { StateEntry(rank: comm.rank, name: $0.name, count: $0.count) }
        let gathered = try comm.gather(Array(try JSONEncoder().encode(mine)))
        var all: [StateEntry] = []
        for blob in gathered { all += try JSONDecoder().decode([StateEntry].self, from: Data(blob)) }
        let shared = try comm.broadcast(comm.isRoot ? Array(try JSONEncoder().encode(all)) : [UInt8]())
        return try JSONDecoder().decode([StateEntry].self, from: Data(shared))
    }

    /// Rank 0 checks that the manifest covers its complete state exactly; every rank throws if not.
    private func agreeOnManifest(_ manifest: [StateEntry], complete: [String: OptimizerStateTensor]) throws {
        var problem = ""
        if comm.isRoot {
            for entry in manifest where complete[entry.name]?.count != entry.count {
                problem =
                    "state tensor \(entry.name) of rank \(entry.rank) (\(entry.count) floats) has "
                    + "\(complete[entry.name].map { "\($0.count) floats" } ?? "no counterpart") in the complete state"
                break
            }
            if problem.isEmpty && Set(manifest.map(\.name)) != Set(complete.keys) {
                problem =
                    "the ranks' state tensors do not cover the complete state "
                    + "(\(manifest.count) listed, \(complete.count) expected)"
            }
        }
        let message = String(decoding: try comm.broadcast(Array(problem.utf8)), as: UTF8.self)
        guard message.isEmpty else { throw ShardedStateMismatch(description: message) }
    }
}

/// Sharded optimizer state that does not match the complete state of a checkpoint.
public struct ShardedStateMismatch: Error, CustomStringConvertible {
    public let description: String
}
