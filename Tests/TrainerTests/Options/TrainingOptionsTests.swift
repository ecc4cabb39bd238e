// TrainingOptions: defaults, JSON run-config decoding (unknown keys rejected by name, nulls),
// the resolved_config.json round trip, validation messages and the schedule it builds.
import Foundation
import Testing
import Trainer

struct TrainingOptionsTests {
    private func decode(_ json: String) throws -> TrainingOptions {
        try TrainingOptions.decode(json: Data(json.utf8), path: "run.json")
    }

    @Test func defaultsAreValidAndMatchTheDocumentedValues() throws {
        let options = TrainingOptions()
        try options.validate()
        #expect(options.model == "tiny" && options.data == nil && options.tokenizer == nil)
        #expect(options.outputDir == "runs/default")
        #expect(options.perDeviceTrainBatchSize == 8 && options.gradientAccumulationSteps == 1)
        #expect(options.maxSteps == 300 && options.numTrainEpochs == 3)
        #expect(options.learningRate == 1e-3 && options.warmupSteps == 20 && options.lrDecay == .none)
        #expect(options.beta1 == 0.9 && options.beta2 == 0.999 && options.adamEpsilon == 1e-8)
        #expect(options.weightDecay == 0 && options.maxGradNorm == nil)
        #expect(options.resume == .auto && !options.shardOptimizerState)
    }

    @Test func fileKeysOverlayTheDefaults() throws {
        let options = try decode(
            """
            {"model": "small", "per_device_train_batch_size": 4, "learning_rate": 3e-4,
             "lr_decay": "exponential", "lr_transition_steps": 100, "lr_decay_rate": 0.5,
             "lr_staircase": true, "max_grad_norm": 1.0, "max_steps": null, "resume": "runs/a/step-10",
             "weight_decay": 0.01, "data": "/data/shards"}
            """)
        #expect(options.model == "small" && options.perDeviceTrainBatchSize == 4)
        #expect(options.learningRate == 3e-4 && options.lrDecay == .exponential)
        #expect(options.lrTransitionSteps == 100 && options.lrDecayRate == 0.5 && options.lrStaircase)
        #expect(options.maxGradNorm == 1.0 && options.maxSteps == nil)
        #expect(options.resume == .path("runs/a/step-10") && options.data == "/data/shards")
        #expect(options.warmupSteps == 20)  // absent: the default
        try options.validate()
        let schedule = try options.learningRateSchedule(totalSteps: nil)
        #expect(schedule.decay == .exponential(transitionSteps: 100, rate: 0.5, staircase: true))
        // train.py's `None` for lr_decay.
        #expect(try decode(#"{"lr_decay": null}"#).lrDecay == .none)
    }

    @Test func unknownKeysAreRejectedWithTheKeyNamed() {
        #expect(
            throws: TrainingOptionsError.unknownKey(
                path: "run.json", key: "learning_rte", suggestion: "learning_rate")
        ) {
            try decode(#"{"learning_rte": 0.1}"#)
        }
        #expect(
            throws: TrainingOptionsError.unknownKey(path: "run.json", key: "zzzzzzzzzzzz", suggestion: nil)
        ) {
            try decode(#"{"seed": 1, "zzzzzzzzzzzz": 1}"#)
        }
        let message = TrainingOptionsError.unknownKey(path: "run.json", key: "lr", suggestion: nil)
            .description
        #expect(message.contains("\"lr\"") && message.contains("run.json"))
    }

    @Test func wrongTypesNameTheKey() {
        #expect(
            throws: TrainingOptionsError.wrongType(
                path: "run.json", key: "warmup_steps", expected: "an integer")
        ) {
            try decode(#"{"warmup_steps": 2.5}"#)
        }
        #expect(
            throws: TrainingOptionsError.wrongType(
                path: "run.json", key: "lr_decay",
                expected: "one of \"none\", \"linear\", \"exponential\" or null")
        ) {
            try decode(#"{"lr_decay": "cosine"}"#)
        }
        #expect(throws: TrainingOptionsError.self) { try decode("[1, 2]") }
        #expect(throws: TrainingOptionsError.self) {
            try TrainingOptions.load(contentsOf: URL(fileURLWithPath: "/nonexistent/run.json"))
        }
    }

    @Test func resolvedConfigRoundTripsAndListsEveryKey() throws {
        var options = TrainingOptions()
        options.maxGradNorm = 0.5
        options.resume = .none
        options.lrDecay = .linear
        options.dropout = 0.1
        let json = try options.resolvedJSON()
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(Set(object.keys) == Set(TrainingOptions.table.map(\.key)))
        #expect(object["tokenizer"] is NSNull)
        #expect(try TrainingOptions.decode(json: json, path: "resolved") == options)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        defer { try? FileManager.default.removeItem(at: directory) }
        try options.writeResolved(to: directory)
        let loaded = try TrainingOptions.load(
            contentsOf: directory.appendingPathComponent("resolved_config.json"))
        #expect(loaded == options)
    }

    @Test(arguments: [
        (#"{"per_device_train_batch_size": 0}"#, "per_device_train_batch_size"),
        (#"{"gradient_accumulation_steps": -1}"#, "gradient_accumulation_steps"),
        (#"{"learning_rate": -0.001}"#, "learning_rate"),
        (#"{"beta1": 1.0}"#, "beta1"),
        (#"{"beta2": -0.1}"#, "beta2"),
        (#"{"adam_epsilon": 0}"#, "adam_epsilon"),
        (#"{"weight_decay": -1}"#, "weight_decay"),
        (#"{"max_grad_norm": 0}"#, "max_grad_norm"),
        (#"{"max_steps": 0}"#, "max_steps"),
        (#"{"warmup_steps": -3}"#, "warmup_steps"),
        (#"{"lr_offset": -1}"#, "lr_offset"),
        (#"{"lr_decay": "exponential", "lr_decay_rate": 0.5}"#, "lr_transition_steps"),
        (#"{"lr_decay": "exponential", "lr_transition_steps": 10}"#, "lr_decay_rate"),
        (#"{"blank_caption_prob": 1.5}"#, "blank_caption_prob"),
        (#"{"dropout": 1}"#, "dropout"),
        (#"{"log_interval": 0}"#, "log_interval"),
        (#"{"keep_last": 0}"#, "keep_last"),
        (#"{"model": ""}"#, "model"),
    ])
    func validationNamesTheField(json: String, key: String) throws {
        let options = try decode(json)
        do {
            try options.validate()
            Issue.record("\(json) passed validation")
        } catch let error as TrainingOptionsError {
            guard case .invalidValue(let badKey, _, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(badKey == key)
            #expect(error.description.contains(key))
        }
    }

    @Test func linearDecayNeedsTheNumberOfSteps() throws {
        var options = TrainingOptions()
        options.lrDecay = .linear
        options.warmupSteps = 3
        let schedule = try options.learningRateSchedule(totalSteps: 10)
        #expect(
            schedule
                == LearningRateSchedule(learningRate: 1e-3, warmupSteps: 3, decay: .linear(totalSteps: 10)))
        #expect(throws: TrainingOptionsError.self) { try options.learningRateSchedule(totalSteps: nil) }
        #expect(
            options.adamW == AdamWHyperparameters(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0))
    }
}
