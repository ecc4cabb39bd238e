// `dalle-train bench-vqgan`: encode and decode throughput of a VQGAN with random weights
// (the f16_16384 shape by default) on every rank: images/s, GFLOP/s, MFU, peak memory.
import ArgumentParser
import Collective
import Foundation
import Trainer

/// Times VQGAN encoding and decoding of random 256×256 images.
struct BenchVQGAN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-vqgan",
        abstract: "Time VQGAN encode and decode (f16_16384 shape, random weights) per rank.")

    @Option(help: "config.json of the VQGAN to time with random weights (default: vqgan_f16_16384's).")
    var config: String?

    @Option(help: "A vqgan-jax model directory to time with its own weights instead.")
    var vqgan: String?

    @Option(help: "Timed images per direction per rank (after one warm-up image).")
    var images = 4

    @Option(help: "FP32 peak GFLOP/s per core for MFU (default: measured).")
    var peakGflops: Double?

    @Option(
        help: """
            The 3×3 convolutions' algorithm where it runs them: winograd, direct or im2col \
            (default: the fastest, as encode-images and decode-codes run).
            """)
    var convolution: String?

    func validate() throws {
        guard images > 0 else { throw ValidationError("--images must be positive") }
        if let convolution, ConvAlgorithm(rawValue: convolution) == nil {
            let names = ConvAlgorithm.allCases.map(\.rawValue)
            throw ValidationError(
                "--convolution must be \(names.dropLast().joined(separator: ", ")) or \(names.last ?? ""), "
                    + "not '\(convolution)'")
        }
    }

    /// vqgan_f16_16384 (flax-community / dalle-mini): the defaults with a 16384-row codebook.
    static var f16_16384: VQGANConfig {
        var c = VQGANConfig()
        c.codebookSize = 16384
        return c
    }

    func run() throws {
        let comm = try Communicator.world()
        if comm.worldSize > 1 && ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil {
            BLASInfo.setThreadCount(1)
        }
        let weights: VQGANWeights
        if let vqgan {
            weights = try VQGANWeights(directory: URL(fileURLWithPath: vqgan))
        } else {
            let c = try config.map { try VQGANConfig.load(from: URL(fileURLWithPath: $0)) } ?? Self.f16_16384
            weights = try VQGANWeights.random(config: c, seed: 0)
        }
        let model = VQGAN(weights: weights)
        model.convolutionAlgorithm = convolution.flatMap(ConvAlgorithm.init(rawValue:))
        let c = weights.config
        let side = c.resolution
        let pixels = (0..<side * side * c.inputChannels).map { Float(($0 * 7919) % 256) / 255 }
        var codes = [Int32](repeating: 0, count: c.tokensPerImage)
        var decoded = [Float](repeating: 0, count: side * side * c.outputChannels)
        let peak = peakGflops ?? PeakFLOPs.measure().gflops
        let threads = BLASInfo.threadCount
        model.encode(pixels: pixels, codes: &codes)
        model.decode(codes: codes, pixels: &decoded)
        try comm.barrier()
        var lines: [String] = []
        for direction in ["encode", "decode"] {
            let before = (
                model.convolutionMultiplyAdds, model.otherMultiplyAdds, model.winogradSavedMultiplyAdds
            )
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<images {
                if direction == "encode" {
                    model.encode(pixels: pixels, codes: &codes)
                } else {
                    model.decode(codes: codes, pixels: &decoded)
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let conv = Double(model.convolutionMultiplyAdds - before.0) * 2 / 1e9
            let other = Double(model.otherMultiplyAdds - before.1) * 2 / 1e9
            let saved = Double(model.winogradSavedMultiplyAdds - before.2) * 2 / 1e9
            let run = (conv + other - saved) / seconds
            lines.append(
                String(
                    format:
                        "rank %d %@: %.3f images/s (%.3f per core), %.1f GFLOP/image as direct convolutions "
                        + "(%.1f run), %.1f GFLOP/s run, %.1f %% of the peak of %.0f GFLOP/s x %d threads "
                        + "(MFU on the direct-convolution count: %.1f %%)",
                    comm.rank, direction, Double(images) / seconds,
                    Double(images) / seconds / Double(threads),
                    (conv + other) / Double(images), (conv + other - saved) / Double(images), run,
                    100 * run / (peak * Double(threads)), peak, threads,
                    100 * (conv + other) / seconds / (peak * Double(threads))))
        }
        lines.append(
            String(
                format: "rank %d: peak resident memory %.0f MiB (workspace %.0f MiB), OpenBLAS %@", comm.rank,
                Double(Self.peakResidentBytes()) / 1_048_576, Double(model.workspaceByteCount) / 1_048_576,
                BLASInfo.coreName))
        let gathered = try comm.gather(Array(lines.joined(separator: "\n").utf8))
        if comm.isRoot { for text in gathered { print(String(decoding: text, as: UTF8.self)) } }
        try comm.barrier()
    }

    /// VmHWM of /proc/self/status in bytes (0 when unavailable).
    static func peakResidentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return kilobytes * 1024
        }
        return 0
    }
}
