// `dalle-train export SOURCE --output DIR`: a checkpoint, run directory or anything `--model`
// accepts, written as a dalle-mini model directory (config.json, flax_model.msgpack, tokenizer).
import ArgumentParser
import Foundation
import Shards
import Trainer

/// Writes a directory that dalle-mini's `DalleBart.from_pretrained(DIR)` loads.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Write a model as a dalle-mini model directory (config.json + flax_model.msgpack + tokenizer).")

    @Argument(
        help: "A checkpoint, a run's output directory (newest checkpoint), or anything --model accepts.")
    var source: String

    @Option(help: "The directory to write.")
    var output: String

    @Option(help: "Tensor dtype: float32, float16 or bfloat16.")
    var dtype = "float32"

    @Option(help: "Layer layout: scan (stacked, dalle-mini's default) or layers (per layer).")
    var layout = "scan"

    @Option(help: "Tokenizer directory to copy. (default: the source's own, else the bundled BART tokenizer)")
    var tokenizer: String?

    func validate() throws {
        guard ["float32", "float16", "bfloat16"].contains(dtype) else {
            throw ValidationError("--dtype must be float32, float16 or bfloat16")
        }
        guard FlaxLayerLayout(rawValue: layout) != nil else {
            throw ValidationError("--layout must be scan or layers")
        }
    }

    func run() throws {
        let resolved = try DalleBartConfig.resolve(model: source)
        guard resolved.hasWeights else {
            throw ValidationError("\(source): a preset or a bare config.json has no weights to export")
        }
        let table = ParameterLayout(config: resolved.config)
        let parameters = FlatBuffer(count: table.count)
        try resolved.loadWeights(into: parameters, layout: table)
        let tokenizerDirectory =
            tokenizer.map { URL(fileURLWithPath: $0) } ?? resolved.tokenizerDirectory
            ?? (resolved.config.encoderVocabSize >= 50264 ? Export.bundledTokenizer : nil)
        try ModelDirectory.export(
            parameters, config: resolved.config, to: URL(fileURLWithPath: output),
            flaxLayout: FlaxLayerLayout(rawValue: layout)!, dtype: FlaxDType(rawValue: dtype)!,
            tokenizerDirectory: tokenizerDirectory)
        print(
            "\(output): \(table.count) parameters from \(resolved.weightsDescription ?? source), "
                + "\(layout) layout, \(dtype)")
    }

    static var bundledTokenizer: URL? { Shards.bundledTokenizerDirectory }
}
