// The collectives of the state sharded by tensors, at 1 rank and under mpirun: each rank's tensors
// reach every rank after an update, named state travels to rank 0 and back, and state that does
// not match rank 0's complete state fails on every rank instead of hanging or half-copying.
import Collective
import TestSupport
import Testing

@testable import Trainer

@Suite(.serialized)
struct TensorStateExchangeTests {
    /// Rank r owns the named tensor `t.<r>` of `count` floats (r·1000 + i), larger than one bucket.
    static let count = 300

    /// Each rank writes its own tensors' elements; after the gather every rank holds all of them.
    @Test func gatherParametersBroadcastsEachRanksTensors() throws {
        let comm = try TestWorld.communicator()
        let layout = ParameterLayout(config: try DalleBartConfig.preset("tiny"))
        let settings = OptimizerSettings.adafactor(AdafactorHyperparameters())
        let shards = settings.shards(
            layout: layout, worldSize: comm.worldSize, rank: comm.rank, isSharded: true)
        let parallel = DataParallel(comm: comm, shards: shards)
        let parameters = try parallel.makeBuffer()
        let ranges = try #require(shards.tensorElementRanges)
        for i in ranges[comm.rank] { parameters.pointer[i] = Float(comm.rank * 7 + i % 5) }
        try parallel.gatherParameters(parameters)
        for (owner, range) in ranges.enumerated() {
            #expect(range.allSatisfy { parameters.pointer[$0] == Float(owner * 7 + $0 % 5) }, "rank \(owner)")
        }
        #expect(ranges.last?.upperBound == layout.count)
    }

    @Test func namedStateTravelsToRankZeroAndBack() throws {
        let comm = try TestWorld.communicator()
        let n = comm.worldSize
        let parallel = DataParallel(comm: comm, parameterCount: 8, isSharded: false, bucketByteCount: 4 * 128)
        let local = FlatBuffer(count: Self.count)
        for i in 0..<Self.count { local.pointer[i] = Float(comm.rank * 1000 + i) }
        let mine = [OptimizerStateTensor(name: "t.\(comm.rank)", shape: [Self.count], pointer: local.pointer)]
        let complete = comm.isRoot ? FlatBuffer(count: n * Self.count) : nil
        let all = complete.map { buffer in
            (0..<n).map {
                OptimizerStateTensor(
                    name: "t.\($0)", shape: [Self.count], pointer: buffer.pointer + $0 * Self.count)
            }
        }
        try parallel.gatherState(mine, into: all)
        if let complete {
            let expected = (0..<n).flatMap { r in (0..<Self.count).map { Float(r * 1000 + $0) } }
            #expect(complete.toArray() == expected)
            for i in 0..<complete.count { complete.pointer[i] = -complete.pointer[i] }
        }
        try parallel.distributeState(from: all, into: mine)
        #expect(local.toArray() == (0..<Self.count).map { -Float(comm.rank * 1000 + $0) })
    }

    @Test func stateRankZeroLacksFailsOnEveryRank() throws {
        let comm = try TestWorld.communicator()
        let parallel = DataParallel(comm: comm, parameterCount: 8, isSharded: false)
        let local = FlatBuffer(count: 4)
        let mine = [OptimizerStateTensor(name: "stray.\(comm.rank)", shape: [4], pointer: local.pointer)]
        let complete = comm.isRoot ? FlatBuffer(count: 4) : nil
        let all = complete.map { [OptimizerStateTensor(name: "t.0", shape: [4], pointer: $0.pointer)] }
        #expect(throws: ShardedStateMismatch.self) { try parallel.gatherState(mine, into: all) }
        #expect(throws: ShardedStateMismatch.self) { try parallel.distributeState(from: all, into: mine) }
    }
}
