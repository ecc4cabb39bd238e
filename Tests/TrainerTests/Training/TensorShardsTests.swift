// The whole-tensor partition of the sharded mode (Adafactor, Shampoo): contiguous runs of tensors
// that cover the layout once, balanced by state, and the memory plan that reports one rank's share.
import Testing
import Trainer

struct TensorShardsTests {
    static let settings: [OptimizerSettings] = [
        .adafactor(AdafactorHyperparameters()), .distributedShampoo(ShampooHyperparameters()),
    ]

    @Test(arguments: settings, [1, 2, 3, 5])
    func sharesCoverEveryTensorOnceInOrder(settings: OptimizerSettings, worldSize: Int) throws {
        let layout = ParameterLayout(config: try DalleBartConfig.preset("tiny"))
        let counts = settings.tensorStateCounts(layout: layout)
        let shards = (0..<worldSize).map {
            settings.shards(layout: layout, worldSize: worldSize, rank: $0, isSharded: true)
        }
        let shares = try #require(shards[0].tensorShares)
        #expect(shares.count == worldSize)
        #expect(shares.first?.lowerBound == 0 && shares.last?.upperBound == layout.entries.count)
        for (a, b) in zip(shares, shares.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
        for (rank, shard) in shards.enumerated() {
            let share = shares[rank]
            #expect(shard.tensorShares == shares && shard.isShardedByTensor && !shard.isSliced)
            let elements = shard.ownedRanges.map(\.count).reduce(0, +)
            #expect(elements == layout.entries[share].map(\.count).reduce(0, +))
            for tensor in share { #expect(shard.owner(ofTensor: tensor) == rank) }
        }
        // No rank carries more than its fair share plus the largest tensor's state.
        let total = counts.reduce(0, +)
        for share in shares {
            #expect(counts[share].reduce(0, +) <= total / worldSize + (counts.max() ?? 0))
        }
    }

    @Test(arguments: settings)
    func shardedPlanHoldsOneRanksShare(settings: OptimizerSettings) throws {
        let config = try DalleBartConfig.preset("tiny")
        let layout = ParameterLayout(config: config)
        let whole = MemoryPlan(config: config, batchSize: 2, worldSize: 4, optimizer: settings)
        let sharded = MemoryPlan(
            config: config, batchSize: 2, worldSize: 4, isSharded: true, optimizer: settings)
        #expect(whole.optimizerBytes == settings.stateFloatCount(layout: layout) * 4)
        #expect(sharded.optimizerBytes < whole.optimizerBytes)
        #expect(sharded.optimizerBytes >= whole.optimizerBytes / 4)
        #expect(sharded.checkpointStagingBytes == whole.optimizerBytes)
        // The plan's share is what the largest rank's optimizer allocates.
        let largest = (0..<4).map { rank in
            settings.makeOptimizer(
                layout: layout,
                shards: settings.shards(layout: layout, worldSize: 4, rank: rank, isSharded: true)
            ).stateTensors(layout: layout).map(\.count).reduce(0, +)
        }.max()
        #expect(sharded.optimizerBytes == (largest ?? 0) * 4)
    }
}
