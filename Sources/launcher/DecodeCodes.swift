// `dalle-train decode-codes`: image codes (samples JSON Lines, a shard directory, or stdin) →
// pictures through the VQGAN decoder, one PNG per code grid.
import ArgumentParser
import Foundation
import Shards
import Trainer

/// Decodes code grids into PNG files with a VQGAN.
struct DecodeCodes: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode-codes",
        abstract: "Decode image codes (samples.jsonl, a shard directory or stdin) into PNGs with a VQGAN.")

    @Option(help: "vqgan-jax model directory (config.json, flax_model.msgpack).")
    var vqgan: String

    @Option(
        help: """
            JSON Lines with a list of codes per line (key "codes", "encoding" or "image_codes", or a bare \
            list), a shard directory, or - for stdin.
            """)
    var input = "-"

    @Option(help: "Directory to write NNNNN.png into.")
    var output: String

    @Option(help: "Decode at most this many grids.")
    var limit = Int.max

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
    }

    func run() throws {
        let model = try VQGAN(weights: VQGANWeights(directory: URL(fileURLWithPath: vqgan)))
        let c = model.config
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        var pixels = [Float](repeating: 0, count: c.resolution * c.resolution * c.outputChannels)
        var written = 0
        try CodeSource.forEach(input: input, limit: limit) { codes, origin in
            guard codes.count == c.tokensPerImage else {
                throw ValidationError(
                    "\(origin): \(codes.count) codes; the VQGAN decodes \(c.tokensPerImage)")
            }
            guard codes.allSatisfy({ (0..<c.codebookSize).contains($0) }) else {
                throw ValidationError("\(origin): a code is outside 0..<\(c.codebookSize)")
            }
            let path = (output as NSString).appendingPathComponent(String(format: "%05d.png", written))
            try PNG.write(model.picture(codes: codes.map(Int32.init), pixels: &pixels), to: path)
            written += 1
        }
        print("wrote \(written) images to \(output)")
    }
}

/// Code grids from JSON Lines (file or stdin) or a shard directory.
enum CodeSource {
    /// Calls `body(codes, origin)` for each grid, `origin` naming the file and line or record.
    static func forEach(input: String, limit: Int, _ body: ([Int], String) throws -> Void) throws {
        var isDirectory: ObjCBool = false
        if input != "-", FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory),
            isDirectory.boolValue
        {
            let dataset = try Dataset(directory: URL(fileURLWithPath: input))
            for index in 0..<min(limit, dataset.manifest.recordCount) {
                try body(try dataset.record(at: index).codes.map(Int.init), "\(input) record \(index)")
            }
            return
        }
        let data =
            input == "-"
            ? FileHandle.standardInput.readDataToEndOfFile()
            : try Data(contentsOf: URL(fileURLWithPath: input))
        var count = 0
        for (number, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() where count < limit {
            if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            let origin = "\(input == "-" ? "stdin" : input):\(number + 1)"
            let value = try? JSONSerialization.jsonObject(with: Data(line))
            let object = value as? [String: Any]
            let list =
                (value as? [Any]) ?? (object?["codes"] ?? object?["encoding"] ?? object?["image_codes"])
                as? [Any]
            guard let codes = list?.compactMap({ ($0 as? NSNumber)?.intValue }), codes.count == list?.count
            else {
                throw ValidationError("\(origin): expected a JSON list of codes or an object with \"codes\"")
            }
            try body(codes, origin)
            count += 1
        }
    }
}
