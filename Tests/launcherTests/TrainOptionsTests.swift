// The train flags: parsing through the option table, defaults < config file < flags, and
// validation as usage errors.
import ArgumentParser
import Foundation
import Testing
import Trainer

@testable import launcher

struct TrainOptionsTests {
    /// Writes `json` to a fresh temporary file and returns its path.
    private func configFile(_ json: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "run-\(UUID().uuidString).json")
        try Data(json.utf8).write(to: url)
        return url.path
    }

    @Test func noFlagsGiveTheDefaults() throws {
        let options = try TrainingOptions.resolve(arguments: [])
        #expect(options == TrainingOptions())
    }

    @Test func everyFlagReachesItsOption() throws {
        let o = try TrainingOptions.resolve(arguments: [
            "--model", "small", "--tokenizer", "tok", "--data", "shards", "--eval-data", "eval",
            "--output-dir", "runs/x", "--batch-size", "4", "--gradient-accumulation-steps", "2",
            "--max-steps", "50", "--num-train-epochs", "7", "--learning-rate", "3e-4", "--warmup-steps", "5",
            "--lr-decay", "exponential", "--lr-transition-steps", "10", "--lr-decay-rate", "0.9",
            "--lr-staircase", "--lr-offset", "2", "--beta1", "0.8", "--beta2", "0.99", "--adam-epsilon",
            "1e-6",
            "--weight-decay", "0.01", "--max-grad-norm", "1.5", "--seed", "7", "--log-interval", "3",
            "--eval-steps", "20", "--shard-optimizer-state", "--save-steps", "25", "--keep-last", "2",
            "--resume", "none", "--dropout", "0.1", "--blank-caption-prob", "0.2",
        ])
        #expect(o.model == "small" && o.tokenizer == "tok" && o.data == "shards" && o.evalData == "eval")
        #expect(o.outputDir == "runs/x" && o.perDeviceTrainBatchSize == 4 && o.gradientAccumulationSteps == 2)
        #expect(o.maxSteps == 50 && o.numTrainEpochs == 7 && o.learningRate == 3e-4 && o.warmupSteps == 5)
        #expect(o.lrDecay == .exponential && o.lrTransitionSteps == 10 && o.lrDecayRate == 0.9)
        #expect(
            o.lrStaircase && o.lrOffset == 2 && o.beta1 == 0.8 && o.beta2 == 0.99 && o.adamEpsilon == 1e-6)
        #expect(o.weightDecay == 0.01 && o.maxGradNorm == 1.5 && o.seed == 7 && o.logInterval == 3)
        #expect(o.evalSteps == 20 && o.shardOptimizerState && o.saveSteps == 25 && o.keepLast == 2)
        #expect(o.resume == ResumeMode.none && o.dropout == 0.1 && o.blankCaptionProb == 0.2)
        #expect(
            try TrainingOptions.resolve(arguments: ["--per-device-train-batch-size", "3"])
                .perDeviceTrainBatchSize
                == 3)
        #expect(
            try TrainingOptions.resolve(arguments: ["--resume", "runs/a/step-5"]).resume
                == .path("runs/a/step-5"))
    }

    @Test func flagsOverrideTheConfigFileWhichOverridesDefaults() throws {
        let path = try configFile(
            #"{"learning_rate": 0.01, "warmup_steps": 7, "max_grad_norm": 2.0, "lr_staircase": true, "max_steps": 9}"#
        )
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fromFile = try TrainingOptions.resolve(arguments: ["--config", path])
        #expect(fromFile.learningRate == 0.01 && fromFile.warmupSteps == 7 && fromFile.maxGradNorm == 2.0)
        #expect(fromFile.beta1 == 0.9)  // neither file nor flag: the default
        let overridden = try TrainingOptions.resolve(arguments: [
            "--config", path, "--learning-rate", "0.002", "--max-grad-norm", "none", "--no-lr-staircase",
            "--max-steps", "none",
        ])
        #expect(overridden.learningRate == 0.002 && overridden.warmupSteps == 7)
        #expect(overridden.maxGradNorm == nil && !overridden.lrStaircase && overridden.maxSteps == nil)
    }

    @Test func badValuesAreUsageErrorsNamingTheOption() throws {
        for (arguments, key) in [
            (["--batch-size", "0"], "per_device_train_batch_size"),
            (["--learning-rate=-1"], "learning_rate"),
            (["--beta2", "1"], "beta2"),
            (["--lr-decay", "exponential"], "lr_transition_steps"),
            (["--max-grad-norm", "0"], "max_grad_norm"),
        ] {
            do {
                _ = try Train.parse(arguments)
                Issue.record("\(arguments) parsed")
            } catch {
                #expect(Train.exitCode(for: error) == .validationFailure, "\(arguments)")
                #expect(Train.message(for: error).contains(key), "\(arguments)")
            }
        }
        // Not a value of the flag's type: also a usage error.
        #expect(throws: (any Error).self) { try Train.parse(["--lr-decay", "cosine"]) }
        #expect(throws: (any Error).self) { try Train.parse(["--max-steps", "many"]) }
    }

    @Test func configFileProblemsAreUsageErrors() throws {
        let path = try configFile(#"{"learning_rat": 0.01}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try Train.parse(["--config", path])
            Issue.record("a misspelt key passed")
        } catch {
            #expect(Train.exitCode(for: error) == .validationFailure)
            let message = Train.message(for: error)
            #expect(message.contains("learning_rat") && message.contains("learning_rate"))
        }
        #expect(throws: (any Error).self) { try Train.parse(["--config", "/nonexistent/run.json"]) }
    }

    @Test func helpListsEveryFlag() {
        let help = Train.helpMessage()
        for flag in [
            "--config", "--model", "--tokenizer", "--data", "--output-dir", "--batch-size",
            "--gradient-accumulation-steps", "--max-steps", "--num-train-epochs", "--learning-rate",
            "--warmup-steps", "--lr-decay", "--lr-transition-steps", "--lr-decay-rate", "--lr-staircase",
            "--lr-offset", "--beta1", "--beta2", "--adam-epsilon", "--weight-decay", "--max-grad-norm",
            "--seed", "--log-interval", "--eval-data", "--eval-steps", "--shard-optimizer-state",
            "--save-steps", "--keep-last", "--resume",
        ] {
            #expect(help.contains(flag), "\(flag) missing from help")
        }
    }

    @Test func everyTableRowHasAWorkingFlag() throws {
        let defaults = TrainingOptions()
        // train.py options whose other values are not implemented: the flag is refused by name.
        let refused = [
            "optim_quantized": "--optim-quantized", "shard_shampoo_across": "--shard-shampoo-across=mp",
        ]
        for (key, flag) in refused {
            #expect(throws: TrainingOptionsError.self, "\(key)") {
                try TrainingOptions.resolve(arguments: [flag])
            }
        }
        for spec in TrainingOptions.table where refused[spec.key] == nil {
            // A switch flips; a valued flag takes the first sample its type and rule accept.
            let flipped =
                spec.read(defaults) == .bool(true) ? "--no-" + spec.flags[0].dropFirst(2) : spec.flags[0]
            let samples: [[String]] =
                spec.isSwitch
                ? [[flipped]]
                : ["5", "0.25", "linear", "adafactor", "sgd", "x-\(spec.key)"].map {
                    ["\(spec.flags.last!)=\($0)"]
                }
            let changed = samples.compactMap { try? TrainingOptions.resolve(arguments: $0) }
                .filter { spec.read($0) != spec.read(defaults) }
            let parsed = try #require(changed.first, "no flag value changed \(spec.key)")
            #expect(try TrainingOptions.decode(json: parsed.resolvedJSON(), path: "r") == parsed)
        }
    }

    @Test func unknownFlagsAndSubcommandsAreUsageErrors() throws {
        #expect(
            throws: TrainingOptionsError.unknownFlag(flag: "--learning-rat", suggestion: "--learning-rate")
        ) { try TrainingOptions.resolve(arguments: ["--learning-rat", "1"]) }
        #expect(throws: TrainingOptionsError.badFlagValue(flag: "--seed", value: nil, expected: "an integer"))
        {
            try TrainingOptions.resolve(arguments: ["--seed"])
        }
        #expect(throws: ValidationError.self) { try DalleTrain.checkSubcommand(["generate", "--help"]) }
        try DalleTrain.checkSubcommand(["plan", "--model", "mega"])
        try DalleTrain.checkSubcommand(["--model", "small"])
        let train = try #require(
            try DalleTrain.parseAsRoot(["--model", "small", "--no-lr-staircase"]) as? Train)
        #expect(try train.resolve().model == "small")
    }
}
