// Gradient averaging, parameter gathering and the replica check, at 1 rank and under mpirun.
import Collective
import TestSupport
import Testing
import Trainer

@Suite(.serialized)
struct DataParallelTests {
    /// Rank r's gradient element i is (r + 1) * i, so the mean is (n + 1) / 2 * i. Both for
    /// ordinary memory (MPI) and for the ranks' shared memory (`makeBuffer`).
    @Test(
        arguments: [false, true],
        [(7, false), (1000, false), (2_500_003, false), (7, true), (2_500_003, true)])
    func averageIsTheMeanOverRanks(isSharded: Bool, buffer: (count: Int, isShared: Bool)) throws {
        let comm = try TestWorld.communicator()
        let n = comm.worldSize
        let count = buffer.count
        let parallel = DataParallel(
            comm: comm, parameterCount: count, isSharded: isSharded, bucketByteCount: 1 << 20)
        let gradients = buffer.isShared ? try parallel.makeBuffer() : FlatBuffer(count: count)
        for i in 0..<count { gradients.pointer[i] = Float((comm.rank + 1) * (i % 1000)) }
        try parallel.averageGradients(gradients)
        let mean = Float(n + 1) / 2
        for range in parallel.shards.ownedRanges {
            #expect(range.allSatisfy { gradients.pointer[$0] == mean * Float($0 % 1000) })
        }
        let covered = parallel.shards.ownedRanges.map(\.count).reduce(0, +)
        let totalCovered = try comm.allReduce(Int64(covered), .sum)
        let expectedTotal = isSharded ? count + (n - 1) * (count - n * (count / n)) : n * count
        #expect(totalCovered == Int64(expectedTotal))
        // The norm is the same on every rank and equals the closed form.
        var expectedSquares = 0.0
        for i in 0..<count {
            expectedSquares += Double(mean * Float(i % 1000)) * Double(mean * Float(i % 1000))
        }
        let norm = try parallel.globalNorm(gradients)
        #expect(abs(norm - expectedSquares.squareRoot()) <= 1e-5 * expectedSquares.squareRoot())
    }

    /// The same over two simulated hosts (even and odd ranks): shared memory within each host,
    /// MPI between them.
    @Test(arguments: [false, true])
    func averageAcrossHostsIsTheMeanOverRanks(isSharded: Bool) throws {
        let comm = try TestWorld.twoHosts()
        let count = 2_500_003
        let parallel = DataParallel(comm: comm, parameterCount: count, isSharded: isSharded)
        let gradients = try parallel.makeBuffer()
        #expect(parallel.hostLayout?.hostCount == min(comm.worldSize, 2))
        for i in 0..<count { gradients.pointer[i] = Float((comm.rank + 1) * (i % 1000)) }
        try parallel.averageGradients(gradients)
        let mean = Float(comm.worldSize + 1) / 2
        for range in parallel.shards.ownedRanges {
            #expect(range.allSatisfy { gradients.pointer[$0] == mean * Float($0 % 1000) })
        }
        // Time between hosts is counted (on the leaders, or on every rank when each host has one).
        let betweenHosts = try comm.allReduce(parallel.betweenHostsSeconds, .max)
        #expect((betweenHosts > 0) == (comm.worldSize > 1))
    }

    @Test(arguments: [false, true], [false, true])
    func gatherRebuildsEveryShard(isShared: Bool, twoHosts: Bool) throws {
        let comm = try TestWorld.communicator(twoHosts: twoHosts)
        let count = 10 * comm.worldSize + 3
        let parallel = DataParallel(comm: comm, parameterCount: count, isSharded: true)
        let parameters = isShared ? try parallel.makeBuffer() : FlatBuffer(count: count)
        for range in parallel.shards.ownedRanges {
            for i in range { parameters.pointer[i] = Float(i) }
        }
        try parallel.gatherParameters(parameters)
        #expect((0..<count).allSatisfy { parameters.pointer[$0] == Float($0) })
        try parallel.verifyReplicas(parameters, step: 1)
    }

    @Test func broadcastMakesReplicasEqualAndTheCheckCatchesDrift() throws {
        let comm = try TestWorld.communicator()
        let parallel = DataParallel(comm: comm, parameterCount: 100, isSharded: false)
        let parameters = FlatBuffer(count: 100)
        for i in 0..<100 { parameters.pointer[i] = Float(comm.rank * 1000 + i) }
        try parallel.broadcastParameters(parameters)
        #expect((0..<100).allSatisfy { parameters.pointer[$0] == Float($0) })
        try parallel.verifyReplicas(parameters, step: 0)
        if comm.worldSize > 1 {
            if comm.rank == comm.worldSize - 1 { parameters.pointer[5] += 1 }
            #expect(throws: ReplicaMismatch.self) { try parallel.verifyReplicas(parameters, step: 2) }
        }
        let metrics = try parallel.averageMetrics([Double(comm.rank), 1])
        #expect(metrics == [Double(comm.worldSize - 1) / 2, 1])
    }

    @Test(arguments: [false, true])
    func ownedStateGathersToRootAndDistributesBack(isSharded: Bool) throws {
        let comm = try TestWorld.communicator()
        let count = 7 * comm.worldSize + comm.worldSize - 1
        let parallel = DataParallel(comm: comm, parameterCount: count, isSharded: isSharded)
        let local = FlatBuffer(count: parallel.shards.ownedCount)
        var position = 0
        for range in parallel.shards.ownedRanges {
            for i in range { local.pointer[position + i - range.lowerBound] = Float(i) * 0.5 }
            position += range.count
        }
        let complete = comm.isRoot ? FlatBuffer(count: count) : nil
        try parallel.gatherOwned(local, into: complete)
        if let complete { #expect((0..<count).allSatisfy { complete.pointer[$0] == Float($0) * 0.5 }) }
        let received = FlatBuffer(count: parallel.shards.ownedCount)
        try parallel.distributeOwned(from: complete, into: received)
        #expect(received.toArray() == local.toArray())
    }

    @Test func aFailureOnRankZeroReachesEveryRank() throws {
        let comm = try TestWorld.communicator()
        struct Broken: Error {}
        if comm.isRoot {
            #expect(throws: Broken.self) { try comm.rootFirst { throw Broken() } }
        } else {
            #expect(throws: CollectiveError.self) { try comm.rootFirst { throw Broken() } }
        }
        var ran = false
        try comm.rootFirst { ran = true }
        #expect(ran == comm.isRoot)
    }
}

struct ParameterShardsTests {
    @Test(arguments: [1, 2, 3, 5])
    func ownedRangesCoverEveryElementOnce(worldSize: Int) {
        for count in [0, 1, 4, 17, 100] where count >= 0 {
            for isSharded in [false, true] {
                var owners = [Int](repeating: 0, count: count)
                for rank in 0..<worldSize {
                    let shards = ParameterShards(
                        parameterCount: count, worldSize: worldSize, rank: rank, isSharded: isSharded)
                    #expect(shards.ownedRanges.map(\.count).reduce(0, +) == shards.ownedCount)
                    for range in shards.ownedRanges { for i in range { owners[i] += 1 } }
                }
                let shards = ParameterShards(
                    parameterCount: count, worldSize: worldSize, rank: 0, isSharded: true)
                for i in 0..<count {
                    let expected = !isSharded || shards.tail.contains(i) ? worldSize : 1
                    #expect(owners[i] == expected, "element \(i) of \(count) over \(worldSize)")
                }
            }
        }
    }
}
