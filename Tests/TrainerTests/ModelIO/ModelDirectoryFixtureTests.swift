// dalle-mini model directories written by dalle-mini itself: import bit-exact against the
// single-step fixtures, logits against dalle-mini's own, export byte-identical, round trips.
import Foundation
import TestSupport
import Testing
import Trainer

/// One fixture model directory and what it holds.
struct FixtureModel: CustomStringConvertible, Sendable {
    var name: String
    var reference: String
    var dtype: FlaxDType
    var layout: FlaxLayerLayout
    var tensorCount: Int

    var description: String { name }
    var directory: URL { Fixture.directory("dalle-mini-models/\(name)") }
    var referenceDirectory: URL { Fixture.directory("dallebart/\(reference)") }

    static let all = [
        FixtureModel(
            name: "tiny-A-scan", reference: "tiny-A", dtype: .float32, layout: .scan, tensorCount: 42),
        FixtureModel(
            name: "tiny-A-layers", reference: "tiny-A", dtype: .float32, layout: .layers, tensorCount: 73),
        FixtureModel(
            name: "tiny-A-fp16", reference: "tiny-A", dtype: .float16, layout: .scan, tensorCount: 42),
        FixtureModel(
            name: "tiny-A-bf16", reference: "tiny-A", dtype: .bfloat16, layout: .scan, tensorCount: 42),
        FixtureModel(
            name: "tiny-A2-scan", reference: "tiny-A2", dtype: .float32, layout: .scan, tensorCount: 39),
        FixtureModel(
            name: "tiny-A2-layers", reference: "tiny-A2", dtype: .float32, layout: .layers, tensorCount: 59),
    ]
    static let float32 = all.filter { $0.dtype == .float32 }

    /// The imported parameters and the directory's configuration.
    func load() throws -> (DalleBartConfig, FlatBuffer, ModelDirectory.ImportSummary) {
        let config = try ModelDirectory.config(directory)
        let layout = ParameterLayout(config: config)
        let parameters = FlatBuffer(count: layout.count)
        let summary = try ModelDirectory.loadWeights(
            directory, config: config, layout: layout, into: parameters)
        return (config, parameters, summary)
    }
}

/// A fresh temporary directory.
func temporaryDirectory(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
        "dalle-train-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

struct ModelDirectoryFixtureTests {
    @Test(arguments: FixtureModel.all)
    func importsEveryTensorBitExactly(model: FixtureModel) throws {
        let (config, parameters, summary) = try model.load()
        #expect(summary.layout == model.layout)
        #expect(summary.dtypes == [model.dtype])
        #expect(summary.tensorCount == model.tensorCount)
        let layout = ParameterLayout(config: config)
        let reference = FlatBuffer(count: layout.count)
        try layout.load(
            contentsOf: model.referenceDirectory.appendingPathComponent("params.safetensors"), into: reference
        )
        var mismatches = 0
        for entry in layout.entries {
            for i in entry.offset..<entry.offset + entry.count {
                let expected: Float
                switch model.dtype {
                case .float16:
                    expected = HalfPrecision.float(float16: HalfPrecision.float16(reference.pointer[i]))
                case .bfloat16:
                    expected = HalfPrecision.float(bfloat16: HalfPrecision.bfloat16(reference.pointer[i]))
                default: expected = reference.pointer[i]
                }
                if parameters.pointer[i].bitPattern != expected.bitPattern { mismatches += 1 }
            }
        }
        #expect(mismatches == 0, "\(model.name): \(mismatches) parameters differ from the reference")
    }

    @Test(arguments: FixtureModel.all)
    func logitsMatchDalleMinisOwn(model: FixtureModel) throws {
        let (config, parameters, summary) = try model.load()
        let batchFile = try SafeTensorsFile(
            contentsOf: model.referenceDirectory.appendingPathComponent("batch.safetensors"))
        let batch = try ReferenceCheck.batch(batchFile, config: config)
        let network = try DalleBart(config: config, batchSize: batch.size)
        network.roundsEmbeddingsToFloat16 = summary.embeddingsInFloat16
        #expect(network.roundsEmbeddingsToFloat16 == (model.dtype == .float16))
        let loss = network.forward(parameters: parameters, batch: batch, dropout: nil)
        let reference = try SafeTensorsFile(
            contentsOf: model.directory.deletingLastPathComponent().appendingPathComponent(
                "\(model.name).logits.safetensors")
        ).floats("logits")
        let logits = network.logits(parameters: parameters)
        #expect(logits.count == reference.count)
        let worst = zip(logits, reference).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "\(model.name): logits max |Δ| \(worst)")
        let expected =
            try JSONSerialization.jsonObject(
                with: Data(
                    contentsOf: model.directory.deletingLastPathComponent().appendingPathComponent(
                        "\(model.name).expected.json"))) as? [String: Any]
        let referenceLoss = (expected?["loss"] as? NSNumber)?.doubleValue ?? .nan
        #expect(abs(Double(loss) - referenceLoss) <= 1e-5, "\(model.name): loss \(loss) vs \(referenceLoss)")
    }

    @Test(arguments: FixtureModel.all)
    func exportIsByteIdenticalToDalleMinis(model: FixtureModel) throws {
        let (config, parameters, _) = try model.load()
        let output = try temporaryDirectory("export")
        defer { try? FileManager.default.removeItem(at: output) }
        try ModelDirectory.export(
            parameters, config: config, to: output, flaxLayout: model.layout, dtype: model.dtype,
            tokenizerDirectory: model.directory, sync: false)
        let names = try FileManager.default.contentsOfDirectory(atPath: model.directory.path).sorted()
        #expect(try FileManager.default.contentsOfDirectory(atPath: output.path).sorted() == names)
        for name in names {
            let written = try Data(contentsOf: output.appendingPathComponent(name))
            let original = try Data(contentsOf: model.directory.appendingPathComponent(name))
            #expect(
                written == original,
                "\(model.name)/\(name) differs (\(written.count) vs \(original.count) bytes)")
        }
    }

    @Test(arguments: FixtureModel.float32, FlaxLayerLayout.allCases)
    func roundTripsBitExactlyThroughEitherLayout(model: FixtureModel, layout: FlaxLayerLayout) throws {
        let (config, parameters, _) = try model.load()
        let output = try temporaryDirectory("round-trip")
        defer { try? FileManager.default.removeItem(at: output) }
        try ModelDirectory.export(
            parameters, config: config, to: output, flaxLayout: layout, tokenizerDirectory: nil, sync: false)
        let again = try ModelDirectory.config(output)
        #expect(FlaxLayerLayout(config: again) == layout)
        let reloaded = FlatBuffer(count: parameters.count)
        try ModelDirectory.loadWeights(
            output, config: again, layout: ParameterLayout(config: again), into: reloaded)
        #expect(
            zip(parameters.buffer, reloaded.buffer).allSatisfy { $0.bitPattern == $1.bitPattern },
            "\(model.name) through \(layout)")
        if layout == model.layout {
            let file = ModelDirectory.weightsFile
            #expect(
                try Data(contentsOf: output.appendingPathComponent(file))
                    == Data(contentsOf: model.directory.appendingPathComponent(file)))
        }
    }

    @Test(arguments: FixtureModel.float32)
    func referenceCheckPassesWithTheDirectorysWeights(model: FixtureModel) throws {
        let check = try ReferenceCheck(directory: model.referenceDirectory, modelDirectory: model.directory)
        #expect(
            check.passes,
            "\(model.name): loss Δ \(check.lossDifference), logits Δ \(check.logitsMaxDifference)")
    }
}
