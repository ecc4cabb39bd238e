// The train flags: parsing, defaults < config file < flags, and validation as usage errors.
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
        let options = try TrainOptions.parse([]).resolve()
        #expect(options == TrainingOptions())
    }

    @Test func everyFlagReachesItsOption() throws {
        let parsed = try TrainOptions.parse([
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
        let o = try parsed.resolve()
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
            try TrainOptions.parse(["--per-device-train-batch-size", "3"]).resolve().perDeviceTrainBatchSize
                == 3)
        #expect(
            try TrainOptions.parse(["--resume", "runs/a/step-5"]).resolve().resume == .path("runs/a/step-5"))
    }

    @Test func flagsOverrideTheConfigFileWhichOverridesDefaults() throws {
        let path = try configFile(
            #"{"learning_rate": 0.01, "warmup_steps": 7, "max_grad_norm": 2.0, "lr_staircase": true, "max_steps": 9}"#
        )
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fromFile = try TrainOptions.parse(["--config", path]).resolve()
        #expect(fromFile.learningRate == 0.01 && fromFile.warmupSteps == 7 && fromFile.maxGradNorm == 2.0)
        #expect(fromFile.beta1 == 0.9)  // neither file nor flag: the default
        let overridden = try TrainOptions.parse([
            "--config", path, "--learning-rate", "0.002", "--max-grad-norm", "none", "--no-lr-staircase",
            "--max-steps", "none",
        ]).resolve()
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
                _ = try TrainOptions.parse(arguments)
                Issue.record("\(arguments) parsed")
            } catch {
                #expect(TrainOptions.exitCode(for: error) == .validationFailure, "\(arguments)")
                #expect(TrainOptions.message(for: error).contains(key), "\(arguments)")
            }
        }
        // Not a value of the flag's type: also a usage error.
        #expect(throws: (any Error).self) { try TrainOptions.parse(["--lr-decay", "cosine"]) }
        #expect(throws: (any Error).self) { try TrainOptions.parse(["--max-steps", "many"]) }
    }

    @Test func configFileProblemsAreUsageErrors() throws {
        let path = try configFile(#"{"learning_rat": 0.01}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try TrainOptions.parse(["--config", path])
            Issue.record("a misspelt key passed")
        } catch {
            #expect(TrainOptions.exitCode(for: error) == .validationFailure)
            let message = TrainOptions.message(for: error)
            #expect(message.contains("learning_rat") && message.contains("learning_rate"))
        }
        #expect(throws: (any Error).self) { try TrainOptions.parse(["--config", "/nonexistent/run.json"]) }
    }

    @Test func helpListsEveryFlag() {
        let help = TrainOptions.helpMessage()
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
}
