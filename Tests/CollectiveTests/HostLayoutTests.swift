// The host layout and the several-host collectives: the world split into simulated hosts (even
// and odd ranks) must give the closed-form sums with the same bits on every rank.
import Collective
import Foundation
import TestSupport
import Testing

@Suite(.serialized)
struct HostLayoutTests {
    @Test func oneMachineIsOneHost() throws {
        let comm = try TestWorld.communicator()
        let layout = try comm.hostLayout()
        #expect(layout.hostCount == 1)
        #expect(layout.ranksPerHost == [comm.worldSize])
        #expect(layout.hostOfRank == [Int](repeating: 0, count: comm.worldSize))
    }

    @Test func simulatedHostsSplitByParity() throws {
        let comm = try TestWorld.twoHosts()
        let layout = try comm.hostLayout()
        #expect(layout.hostOfRank == (0..<comm.worldSize).map { $0 % 2 })
        #expect(layout.hostCount == min(comm.worldSize, 2))
        let expected = [(comm.worldSize + 1) / 2, comm.worldSize / 2].filter { $0 > 0 }
        #expect(layout.ranksPerHost == expected)
    }

    @Test func descriptionNamesHostsAndRanks() {
        let layout = HostLayout(hostOfRank: [0, 0, 1, 1])
        #expect(layout.description == "2 host(s) x 2 rank(s) (ranks 0,1 | 2,3)")
        #expect(HostLayout(hostOfRank: [0, 1, 0]).description == "2 host(s) x 2+1 (ranks 0,2 | 1)")
    }

    /// With two simulated hosts a buffer is shared as soon as some host holds two ranks.
    @Test func sharingNeedsTwoRanksOnSomeHost() throws {
        let comm = try TestWorld.twoHosts()
        let shared = try comm.allocateShared(count: 10)
        let disabled = ProcessInfo.processInfo.environment["DALLE_TRAIN_SHARED_MEMORY"] == "off"
        #expect(shared.isShared == (comm.worldSize >= 3 && !disabled))
        if shared.isShared {
            #expect(shared.collectivePaths.hasPrefix("all-reduce: sum in shared memory on each host"))
        }
    }

    /// Several buckets between the hosts (more than `crossHostBucketCount` elements).
    @Test func allReduceAcrossHostsSumsEveryRank() throws {
        let comm = try TestWorld.twoHosts()
        let n = comm.worldSize
        let count = Communicator.crossHostBucketCount * 2 + 37
        let shared = try comm.allocateShared(count: count)
        for i in 0..<count { shared.pointer[i] = Float((comm.rank + 1) * (i % 13)) }
        try comm.allReduce(shared, range: 5..<count, scale: 0.5)
        let total = Float(n * (n + 1) / 2) * 0.5
        #expect((5..<count).allSatisfy { shared.pointer[$0] == total * Float($0 % 13) })
        #expect((0..<5).allSatisfy { shared.pointer[$0] == Float((comm.rank + 1) * ($0 % 13)) })
    }

    @Test(arguments: [1, 4096])
    func reduceScatterThenAllGatherAcrossHosts(sliceCount: Int) throws {
        let comm = try TestWorld.twoHosts()
        let n = comm.worldSize
        let count = sliceCount * n + 3
        let shared = try comm.allocateShared(count: count)
        for i in 0..<count { shared.pointer[i] = Float((comm.rank + 1) * i) }
        let range = 0..<(sliceCount * n)
        try comm.reduceScatter(shared, range: range, scale: 2)
        let total = Float(n * (n + 1) / 2) * 2
        let mine = (comm.rank * sliceCount)..<((comm.rank + 1) * sliceCount)
        #expect(mine.allSatisfy { shared.pointer[$0] == total * Float($0) })
        try comm.allGather(shared, range: range)
        #expect(range.allSatisfy { shared.pointer[$0] == total * Float($0) })
        #expect((range.upperBound..<count).allSatisfy { shared.pointer[$0] == Float((comm.rank + 1) * $0) })
    }

    /// A rank on one host passing another range must make every rank on every host throw, and
    /// the ranks stay in step.
    @Test func ranksThatDisagreeAcrossHostsAllThrow() throws {
        let comm = try TestWorld.twoHosts()
        let shared = try comm.allocateShared(count: 100)
        guard shared.isShared else { return }
        let last = comm.rank == comm.worldSize - 1
        #expect(throws: CollectiveError.self) { try comm.allReduce(shared, range: 0..<(last ? 101 : 100)) }
        #expect(throws: CollectiveError.self) { try comm.allReduce(shared, range: 0..<(last ? 99 : 100)) }
        let other = try comm.allocateShared(count: 100)
        #expect(throws: CollectiveError.self) { try comm.allReduce(comm.rank == 1 ? other : shared) }
        shared.buffer.update(repeating: 1)
        try comm.allReduce(shared)
        #expect(shared.buffer.allSatisfy { $0 == Float(comm.worldSize) })
    }
}
