// One checkpoint directory: a bit-exact round trip, the payload as a plain safetensors file after
// a sequential zstd decode (what `zstd -d` gives), dalle-mini's config.json, and every way a file
// can be damaged (flipped byte, truncation, missing file) detected with the file named.
import Foundation
import Shards
import TestSupport
import Testing

@testable import Trainer

struct CheckpointTests {
    /// A checkpoint's inputs for the small test model, filled with seeded values.
    struct Sample {
        let config: DalleBartConfig
        let layout: ParameterLayout
        let parameters: FlatBuffer
        let optimizer: AdamW

        init(seed: UInt64 = 3) throws {
            config = try JSONDecoder().decode(DalleBartConfig.self, from: Data(SmallRun.configJSON.utf8))
            layout = ParameterLayout(config: config)
            parameters = FlatBuffer(count: layout.count)
            Initialization.initialize(parameters, layout: layout, config: config, seed: seed)
            optimizer = AdamW(parameterCount: layout.count, hyperparameters: AdamWHyperparameters())
            for i in 0..<layout.count {
                optimizer.m.pointer[i] = parameters.pointer[i] * 0.5 + Float(i % 7) * 1e-3
                optimizer.v.pointer[i] = parameters.pointer[i] * parameters.pointer[i] + 1e-9
            }
            optimizer.step = 17
        }

        func state(step: Int) -> TrainerState {
            let cursor = DataCursor(
                seed: 7, epoch: 1, position: 24, recordsPerMicroStep: 8, recordCount: 100,
                shuffleWindowBlocks: 8)
            return TrainerState(
                step: step, epoch: 1, samples: 8 * step, trainTime: 1.5, rngSeed: 7, worldSize: 2,
                dataCursors: [cursor, cursor], skippedSteps: 0, training: TrainingOptions())
        }

        /// Writes the checkpoint of `step` under `root` with small frames, so that files span many.
        func write(step: Int, to root: URL) throws -> URL {
            optimizer.step = step  // no skipped steps: the optimizer count equals the step
            return try Checkpoint.write(
                state: state(step: step), config: config, layout: layout, parameters: parameters,
                optimizer: optimizer, to: root,
                compression: CheckpointCompression(level: 3, workers: 2, frameByteCount: 16 << 10))
        }
    }

    static func scratch(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "dalle-train-tests/\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func roundTripIsBitExact() throws {
        let sample = try Sample()
        #expect(sample.layout.count * 4 > 4 * (16 << 10), "the payload should span several frames")
        let root = try Self.scratch("checkpoint-roundtrip")
        let directory = try sample.write(step: 12, to: root)
        #expect(directory.lastPathComponent == "step-00000012")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(
            names == [
                "config.json", "model.safetensors.zst", "optimizer.safetensors.zst", "trainer_state.json",
                "trainer_state.json.xxh64",
            ])

        let parameters = FlatBuffer(count: sample.layout.count)
        let optimizer = AdamW(parameterCount: sample.layout.count, hyperparameters: AdamWHyperparameters())
        let state = try Checkpoint.load(
            directory, config: sample.config, layout: sample.layout, parameters: parameters,
            optimizer: optimizer)
        #expect(state.step == 12 && state.dataCursors == sample.state(step: 12).dataCursors)
        #expect(memcmp(parameters.pointer, sample.parameters.pointer, sample.layout.count * 4) == 0)
        #expect(memcmp(optimizer.m.pointer, sample.optimizer.m.pointer, sample.layout.count * 4) == 0)
        #expect(memcmp(optimizer.v.pointer, sample.optimizer.v.pointer, sample.layout.count * 4) == 0)
        #expect(optimizer.step == 12)
    }

    @Test func payloadDecodesSequentiallyToAStandardSafeTensorsFile() throws {
        let sample = try Sample()
        let directory = try sample.write(step: 1, to: try Self.scratch("checkpoint-plain"))
        // One pass of the streaming decoder, as `zstd -d` does: the seek-table frame is skipped.
        let modelURL = directory.appendingPathComponent(Checkpoint.modelFile)
        let plain = try Zstd.decompress(try Data(contentsOf: modelURL))
        #expect(plain == (try Checkpoint.decompress(modelURL)))
        let model = try SafeTensorsFile(bytes: plain, path: "model")
        #expect(model.entries.map(\.name) == sample.layout.entries.map(\.name))
        #expect(model.metadata["format"] == "flax")
        let first = sample.layout.entries[0]
        #expect(
            try model.floats(first.name)
                == Array(sample.parameters.buffer[first.offset..<first.offset + first.count]))

        let optimizerURL = directory.appendingPathComponent(Checkpoint.optimizerFile)
        let moments = try SafeTensorsFile(
            bytes: try Zstd.decompress(try Data(contentsOf: optimizerURL)), path: "optimizer")
        #expect(moments.entries.count == 2 * sample.layout.entries.count + 1)
        #expect(try moments.int64s("count") == [1])
        #expect(
            try moments.floats("nu.\(first.name)")
                == Array(sample.optimizer.v.buffer[first.offset..<first.offset + first.count]))
    }

    @Test func configJSONHasDalleMiniKeysAndShortDecimals() throws {
        let sample = try Sample()
        let text = String(decoding: try Checkpoint.configJSON(sample.config), as: UTF8.self)
        #expect(text.contains("\"dropout\" : 0.1"))
        #expect(text.contains("\"init_std\" : 0.02"))
        #expect(!text.contains("0000000"))
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(object?["d_model"] as? Int == 32)
        #expect(object?["ln_positions"] as? String == sample.config.lnPositions.rawValue)
        let reloaded = try JSONDecoder().decode(DalleBartConfig.self, from: Data(text.utf8))
        #expect(try Checkpoint.configJSON(reloaded) == Checkpoint.configJSON(sample.config))
    }

    @Test func shortFloatNumbersLeavesStringsAndIntegersAlone() {
        let json =
            #"{"a" : 0.10000000149011612, "b" : "0.10000000149011612", "c" : 16384, "d" : 0.3, "e" : -1e-05}"#
        #expect(
            Checkpoint.shortFloatNumbers(in: json)
                == #"{"a" : 0.1, "b" : "0.10000000149011612", "c" : 16384, "d" : 0.3, "e" : -1e-05}"#)
    }

    @Test func damagedFilesAreDetectedAndNamed() throws {
        let sample = try Sample()
        let root = try Self.scratch("checkpoint-damage")
        let directory = try sample.write(step: 5, to: root)
        let model = directory.appendingPathComponent(Checkpoint.modelFile)
        let original = try Data(contentsOf: model)

        var flipped = original
        flipped[flipped.count / 2] ^= 0x10
        try flipped.write(to: model)
        expectCheckpointError(
            try Checkpoint.verify(directory), is: "checksumMismatch", naming: Checkpoint.modelFile)

        try original.prefix(original.count - 100).write(to: model)
        expectCheckpointError(
            try Checkpoint.verify(directory), is: "sizeMismatch", naming: Checkpoint.modelFile)

        try original.write(to: model)
        _ = try Checkpoint.verify(directory)
        try FileManager.default.removeItem(at: directory.appendingPathComponent(Checkpoint.optimizerFile))
        expectCheckpointError(
            try Checkpoint.verify(directory), is: "missingFile", naming: Checkpoint.optimizerFile)
        try FileManager.default.removeItem(at: directory.appendingPathComponent(Checkpoint.stateFile))
        expectCheckpointError(
            try Checkpoint.verify(directory), is: "missingFile", naming: Checkpoint.stateFile)
    }

    @Test func loadRejectsADifferentModel() throws {
        let sample = try Sample()
        let directory = try sample.write(step: 2, to: try Self.scratch("checkpoint-incompatible"))
        var other = sample.config
        other.encoderLayers += 1
        let layout = ParameterLayout(config: other)
        expectCheckpointError(
            try Checkpoint.load(
                directory, config: other, layout: layout, parameters: FlatBuffer(count: layout.count),
                optimizer: AdamW(parameterCount: layout.count, hyperparameters: AdamWHyperparameters())),
            is: "incompatible", naming: directory.lastPathComponent)
    }

    @Test func incrementalHashEqualsOneShotHash() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for split in [[1000], [1, 999], [31, 1, 33, 935], [5, 5, 5, 985], [64, 0, 936]] {
            var hasher = XXHash64.Hasher()
            var start = 0
            bytes.withUnsafeBytes { raw in
                for count in split {
                    hasher.update(UnsafeRawBufferPointer(rebasing: raw[start..<start + count]))
                    start += count
                }
            }
            #expect(hasher.digest() == XXHash64.hash(bytes), "split \(split)")
        }
        #expect(XXHash64.Hasher().digest() == XXHash64.hash([UInt8]()))
    }
}

/// Expects `body` to throw the `CheckpointError` case `name` with a message containing `fragment`.
func expectCheckpointError<T>(
    _ body: @autoclosure () throws -> T, is name: String, naming fragment: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    do {
        _ = try body()
        Issue.record("expected CheckpointError.\(name), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as CheckpointError {
        #expect(String(describing: error).contains(fragment), "\(error)", sourceLocation: sourceLocation)
        #expect(
            "\(Mirror(reflecting: error).children.first?.label ?? "")" == name, "\(error)",
            sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected CheckpointError.\(name), got \(error)", sourceLocation: sourceLocation)
    }
}
