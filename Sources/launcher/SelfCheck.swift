// A quick collective self-check: closed-form sums every rank can verify.
import Collective
import Foundation

/// Errors the self-check reports.
struct SelfCheckError: Error, CustomStringConvertible {
    let description: String
}

enum SelfCheck {
    /// All-reduces rank+1 (sum, max, min) and a broadcast from the last rank; throws on mismatch.
    static func run(_ comm: Communicator, failOnLastRank: Bool) throws {
        let n = comm.worldSize
        if failOnLastRank && comm.rank == n - 1 {
            throw SelfCheckError(description: "failing on purpose (--fail-on-last-rank)")
        }
        let sum = try comm.allReduce(Int64(comm.rank + 1), .sum)
        let maximum = try comm.allReduce(Double(comm.rank + 1), .max)
        let minimum = try comm.allReduce(Float(comm.rank + 1), .min)
        let fromLast = try comm.broadcast([Int32(comm.rank)], root: n - 1)
        guard sum == Int64(n * (n + 1) / 2), maximum == Double(n), minimum == 1, fromLast == [Int32(n - 1)]
        else {
            throw SelfCheckError(
                description: "collective self-check failed: sum \(sum), max \(maximum), min \(minimum)")
        }
        try comm.barrier()
        if comm.isRoot {
            print(
                "dalle-train self-check: \(n) rank(s), all-reduce/broadcast/barrier OK (sum of rank+1 = \(sum))"
            )
        }
    }
}
