// `dalle-train render`: a code grid (a dataset record, or a JSON list of codes) as a PNG.
import ArgumentParser
import Foundation
import Shards

/// Draws image codes with the synthetic dataset's fixed palette.
struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a code grid (a dataset record or a JSON list of codes) as a PNG.")

    @Option(help: "Dataset directory to take a record from (with --record).")
    var dataset: String?

    @Option(help: "Global record index in the dataset.")
    var record: Int?

    @Option(help: "A JSON list of codes, or @FILE to read it from a file.")
    var codes: String?

    @Option(help: "Codes are in [0, image-vocab-size) (ignored with --dataset).")
    var imageVocabSize = 16384

    @Option(help: "Pixels per code cell.")
    var scale = 16

    @Option(help: "PNG file to write.")
    var output: String

    func validate() throws {
        guard (dataset != nil && record != nil) != (codes != nil) else {
            throw ValidationError("give either --dataset DIR --record N, or --codes JSON")
        }
        guard scale > 0 else { throw ValidationError("--scale must be positive") }
    }

    func run() throws {
        var grid: [Int]
        var vocabulary = imageVocabSize
        if let dataset, let record {
            let opened = try Dataset(directory: URL(fileURLWithPath: dataset))
            guard (0..<opened.manifest.recordCount).contains(record) else {
                throw ValidationError("--record must be in 0..<\(opened.manifest.recordCount)")
            }
            let value = try opened.record(at: record)
            print("record \(record): \(value.caption)")
            grid = value.codes.map(Int.init)
            vocabulary = opened.manifest.imageVocabSize
        } else {
            var text = codes ?? ""
            if text.hasPrefix("@") {
                text = try String(contentsOfFile: String(text.dropFirst()), encoding: .utf8)
            }
            guard let list = try? JSONDecoder().decode([Int].self, from: Data(text.utf8)) else {
                throw ValidationError("--codes must be a JSON list of integers")
            }
            grid = list
        }
        let side = Int(Double(grid.count).squareRoot())
        guard side > 0, side * side == grid.count else {
            throw ValidationError("\(grid.count) codes do not form a square grid")
        }
        let png = CodeGridImage.png(codes: grid, imageVocabSize: vocabulary, scale: scale)
        try Data(png).write(to: URL(fileURLWithPath: output))
        print("wrote \(output) (\(side * scale)x\(side * scale))")
    }
}
