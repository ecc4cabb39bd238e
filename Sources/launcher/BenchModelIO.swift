// `dalle-train bench-model-io`: export and import of a dalle-mini model directory holding random
// weights of a preset's shape, timed from and to the page cache (no fsync), in alternating rounds.
import ArgumentParser
import Foundation
import Trainer

/// Times `ModelDirectory.writeWeights` and `loadWeights` for a preset-shaped model.
struct BenchModelIO: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-model-io",
        abstract: "Measure export and import speed of a dalle-mini model directory (random weights).")

    @Option(help: "Model preset.")
    var model = "mini"

    @Option(help: "Directory for the temporary model directory.")
    var directory = FileManager.default.temporaryDirectory.path

    @Option(help: "Rounds (export then import each).")
    var rounds = 3

    @Option(help: "Tensor dtype: float32, float16 or bfloat16.")
    var dtype = "float32"

    func run() throws {
        let config = try DalleBartConfig.preset(model)
        let layout = ParameterLayout(config: config)
        let parameters = FlatBuffer(count: layout.count)
        Initialization.initialize(parameters, layout: layout, config: config, seed: 1)
        let output = URL(fileURLWithPath: directory).appendingPathComponent("bench-model-io-\(getpid())")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: output) }
        let flaxLayout = FlaxLayerLayout(config: config)
        guard let type = FlaxDType(rawValue: dtype) else { throw ValidationError("unknown --dtype \(dtype)") }
        var saved = config
        saved.useScan = flaxLayout == .scan
        try Data(PretrainedConfigJSON.text(saved).utf8).write(
            to: output.appendingPathComponent("config.json"))
        let reloaded = FlatBuffer(count: layout.count)
        let gigabytes = Double(layout.count * 4) / 1e9
        print(
            String(
                format: "%@: %d parameters (%.2f GB float32), %@, %@ layout", model, layout.count, gigabytes,
                dtype, flaxLayout.rawValue))
        for round in 1...rounds {
            var start = Date()
            let bytes = try ModelDirectory.writeWeights(
                parameters, layout: layout, to: output, flaxLayout: flaxLayout, dtype: type, sync: false)
            let exportSeconds = Date().timeIntervalSince(start)
            start = Date()
            try ModelDirectory.loadWeights(output, config: saved, layout: layout, into: reloaded)
            let importSeconds = Date().timeIntervalSince(start)
            print(
                String(
                    format:
                        "round %d: export %.3f s (%.2f GB/s of parameters), import %.3f s (%.2f GB/s), file %d bytes",
                    round, exportSeconds, gigabytes / exportSeconds, importSeconds, gigabytes / importSeconds,
                    bytes))
        }
    }
}
