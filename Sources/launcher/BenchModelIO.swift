// `dalle-train bench-model-io`: export and import of a dalle-mini model directory holding random
// weights of a preset's shape, timed from and to the page cache (no fsync), in alternating rounds.
// One parameter buffer only (import overwrites it), so the process's peak memory is the import's.
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
        let gigabytes = Double(layout.count * 4) / 1e9
        print(
            String(
                format: "%@: %d parameters (%.2f GB float32), %@, %@ layout", model, layout.count, gigabytes,
                dtype, flaxLayout.rawValue))
        var expected = type == .float32 ? XXHash64.hash(UnsafeRawBufferPointer(parameters.buffer)) : nil
        let weights = output.appendingPathComponent(ModelDirectory.weightsFile)
        for round in 1...rounds {
            // An export into a directory without the previous round's file: replacing it would add
            // freeing its pages (inside the rename) to the time.
            try? FileManager.default.removeItem(at: weights)
            let export = try measure {
                try ModelDirectory.writeWeights(
                    parameters, layout: layout, to: output, flaxLayout: flaxLayout, dtype: type, sync: false)
            }
            let load = try measure {
                try ModelDirectory.loadWeights(output, config: saved, layout: layout, into: parameters)
            }
            // float32 round-trips exactly; half precision is stable from the second round on.
            let checksum = XXHash64.hash(UnsafeRawBufferPointer(parameters.buffer))
            if let expected, checksum != expected {
                throw ValidationError("round \(round): the imported parameters differ from the exported ones")
            }
            expected = checksum
            print(
                String(
                    format: "round %d: export %@, import %@, file %ld bytes", round,
                    export.report(gigabytes), load.report(gigabytes), export.result))
        }
        print("round trips equal (XXH64 \(XXHash64.hex(expected ?? 0)))")
    }

    /// Wall-clock and CPU (user + system) seconds of `body`, and its result.
    private func measure<T>(_ body: () throws -> T) rethrows -> Timing<T> {
        let (wall, cpu) = (Date(), Self.cpuSeconds())
        let result = try body()
        return Timing(result: result, wall: Date().timeIntervalSince(wall), cpu: Self.cpuSeconds() - cpu)
    }

    /// User plus system CPU seconds this process has used.
    private static func cpuSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

/// One timed operation: its result, wall-clock and CPU seconds.
private struct Timing<T> {
    var result: T
    var wall: Double
    var cpu: Double

    /// "1.234 s (1.30 GB/s), CPU 1.100 s (1.45 GB/s per CPU second)" for `gigabytes` of parameters.
    func report(_ gigabytes: Double) -> String {
        String(
            format: "%.3f s (%.2f GB/s), CPU %.3f s (%.2f GB/s per CPU second)", wall, gigabytes / wall, cpu,
            gigabytes / cpu)
    }
}
