// Memory planning: the plan adds up the real allocations, and a run that cannot fit is refused
// before anything large is allocated.
import Testing
import Trainer

struct MemoryPlanTests {
    @Test func planMatchesTheModelsAllocations() throws {
        let config = try DalleBartConfig.preset("tiny")
        let plan = MemoryPlan(config: config, batchSize: 2)
        let model = try DalleBart(config: config, batchSize: 2)
        #expect(plan.parameterBytes == model.layout.count * 4)
        #expect(plan.optimizerBytes == 2 * plan.parameterBytes)
        #expect(plan.activationBytes == model.activationCount * 4)
        #expect(plan.totalBytes > plan.parameterBytes * 4)
        let sharded = MemoryPlan(config: config, batchSize: 2, worldSize: 4, isSharded: true)
        let count = model.layout.count
        #expect(sharded.optimizerBytes == 2 * 4 * (count / 4 + count % 4))
        #expect(sharded.checkpointStagingBytes == plan.optimizerBytes)
    }

    @Test func aRunThatDoesNotFitIsRefusedWithTheNumbers() throws {
        var options = TrainingOptions()
        options.model = "mega"
        let config = try DalleBartConfig.preset("mega")
        let plan = MemoryPlan(config: config, batchSize: 8)
        guard let available = MemoryPlan.availableBytes(), plan.totalBytes > available else { return }
        #expect {
            try TrainingLoop.checkMemory(config: config, options: options, worldSize: 1)
        } throws: { error in
            "\(error)".contains("available") && "\(error)".contains("activations")
        }
    }
}
