// Collectives over SharedFloatBuffer against closed forms: shared memory under mpirun on one
// host, MPI at 1 rank; ranks that disagree about a call must all get an error.
import Collective
import Foundation
import TestSupport
import Testing

@Suite(.serialized)
struct SharedBufferTests {
    /// Shared memory is expected whenever there are several ranks (the tests run on one host).
    private func expectsSharing(_ comm: Communicator) -> Bool {
        comm.worldSize > 1 && ProcessInfo.processInfo.environment["DALLE_TRAIN_SHARED_MEMORY"] != "off"
    }

    @Test(arguments: [0, 1, 17, 5000, 300_001])
    func allReduceSumsEveryRank(count: Int) throws {
        let comm = try TestWorld.communicator()
        let n = comm.worldSize
        let shared = try comm.allocateShared(count: count)
        #expect(shared.isShared == expectsSharing(comm))
        #expect(shared.buffer.allSatisfy { $0 == 0 })
        for i in 0..<count { shared.pointer[i] = Float((comm.rank + 1) * (i % 13)) }
        try comm.allReduce(shared)
        let total = n * (n + 1) / 2
        #expect((0..<count).allSatisfy { shared.pointer[$0] == Float(total * ($0 % 13)) })
    }

    @Test func allReduceOfARangeScalesOnlyThatRange() throws {
        let comm = try TestWorld.communicator()
        let n = comm.worldSize
        let count = 10_000
        let shared = try comm.allocateShared(count: count)
        for i in 0..<count { shared.pointer[i] = Float(comm.rank + 1) * Float(i) }
        let range = 3..<(count - 5)
        try comm.allReduce(shared, range: range, scale: 1 / Float(n))
        let mean = Float(n * (n + 1) / 2) * (1 / Float(n))
        #expect(range.allSatisfy { shared.pointer[$0] == mean * Float($0) })
        let outside = Array(0..<3) + Array((count - 5)..<count)
        #expect(outside.allSatisfy { shared.pointer[$0] == Float(comm.rank + 1) * Float($0) })
    }

    /// Values whose sum depends on the order of addition: every rank must still hold the same bits,
    /// on one host and across two simulated hosts (the hierarchical path, several buckets).
    @Test(arguments: [false, true])
    func everyRankHoldsTheSameBits(twoHosts: Bool) throws {
        let comm = try TestWorld.communicator(twoHosts: twoHosts)
        let count = twoHosts ? Communicator.crossHostBucketCount + 4099 : 4099
        let shared = try comm.allocateShared(count: count)
        for i in 0..<count {
            shared.pointer[i] = Float(comm.rank + 1) * 1e-3 * Float(i) + (comm.rank % 2 == 0 ? 1e7 : -1e7)
        }
        try comm.allReduce(shared)
        let local = Int64(bitPattern: BitsHash.fnv1a(shared.buffer))
        #expect(try comm.allReduce(local, .min) == local)
        #expect(try comm.allReduce(local, .max) == local)
    }

    @Test(arguments: [1, 5, 4096])
    func reduceScatterThenAllGatherInARange(sliceCount: Int) throws {
        let comm = try TestWorld.communicator()
        let n = comm.worldSize
        let lower = 4
        let count = lower + sliceCount * n + 2
        let shared = try comm.allocateShared(count: count)
        for i in 0..<count { shared.pointer[i] = Float((comm.rank + 1) * i) }
        let range = lower..<(lower + sliceCount * n)
        try comm.reduceScatter(shared, range: range, scale: 2)
        let total = Float(n * (n + 1) / 2)
        let mine = (lower + comm.rank * sliceCount)..<(lower + (comm.rank + 1) * sliceCount)
        #expect(mine.allSatisfy { shared.pointer[$0] == total * Float($0) * 2 })
        try comm.allGather(shared, range: range)
        #expect(range.allSatisfy { shared.pointer[$0] == total * Float($0) * 2 })
        let outside = Array(0..<lower) + Array(range.upperBound..<count)
        #expect(outside.allSatisfy { shared.pointer[$0] == Float((comm.rank + 1) * $0) })
    }

    @Test func unequalSlicesAreRejected() throws {
        let comm = try TestWorld.communicator()
        guard comm.worldSize > 1 else { return }
        let shared = try comm.allocateShared(count: 10 * comm.worldSize + 1)
        #expect(throws: CollectiveError.self) { try comm.reduceScatter(shared) }
        #expect(throws: CollectiveError.self) { try comm.allGather(shared) }
    }

    /// A range outside the buffer, or a rank passing another range than the others, would read
    /// and write the wrong elements: every rank throws, and the ranks stay in step.
    @Test func ranksThatDisagreeAllThrow() throws {
        let comm = try TestWorld.communicator()
        let shared = try comm.allocateShared(count: 100)
        // A range invalid on every rank alike: every rank throws before touching memory.
        #expect(throws: CollectiveError.self) { try comm.allReduce(shared, range: 0..<101) }
        #expect(throws: CollectiveError.self) {
            try comm.reduceScatter(shared, range: 0..<(100 + comm.worldSize))
        }
        #expect(throws: CollectiveError.self) {
            try comm.allGather(shared, range: 0..<(100 + comm.worldSize))
        }
        guard shared.isShared else { return }
        #expect(throws: CollectiveError.self) { try comm.allReduce(shared, range: 0..<(50 + comm.rank)) }
        // Only the last rank's range is out of bounds: the others must not wait for it forever.
        let last = comm.rank == comm.worldSize - 1
        #expect(throws: CollectiveError.self) { try comm.allReduce(shared, range: 0..<(last ? 101 : 100)) }
        #expect(throws: CollectiveError.self) {
            try comm.reduceScatter(shared, range: 0..<(last ? 7 : comm.worldSize))
        }
        // The same range of two different buffers.
        let other = try comm.allocateShared(count: 100)
        #expect(throws: CollectiveError.self) { try comm.allReduce(comm.rank == 0 ? shared : other) }
        // The ranks are still in step afterwards.
        shared.buffer.update(repeating: 1)
        try comm.allReduce(shared)
        #expect(shared.buffer.allSatisfy { $0 == Float(comm.worldSize) })
    }
}
