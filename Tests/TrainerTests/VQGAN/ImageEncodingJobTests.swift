// encode-images without MPI: any split of the images over ranks merges into the same records in
// input order; bad images and missing captions are skipped with a reason; an interrupted part
// file resumes; ImageList reads folders, JSON Lines and TSV.
import Foundation
import Shards
import TestSupport
import Testing
import Trainer

struct ImageEncodingJobTests {
    let model: VQGAN

    init() throws {
        model = try VQGAN(weights: VQGANWeights(directory: Fixture.directory("vqgan/small/model")))
    }

    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("encode-job-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs every rank of a `worldSize` split one after the other and merges.
    func encode(_ items: [ImageItem], worldSize: Int, output: URL) throws -> (Data, Data) {
        let job = try ImageEncodingJob(model: model, items: items, output: output)
        for rank in 0..<worldSize { try job.run(rank: rank, worldSize: worldSize, done: []) { _, _ in } }
        let (jsonl, skipped) = (
            output.appendingPathComponent("a.jsonl"), output.appendingPathComponent("s.jsonl")
        )
        _ = try job.merge(jsonl: jsonl, skippedURL: skipped)
        return (try Data(contentsOf: jsonl), try Data(contentsOf: skipped))
    }

    @Test func ranksMergeToTheSameRecordsAndSkipBadImages() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let paths = try SyntheticImages.write(to: root.appendingPathComponent("images"), count: 7, seed: 3)
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: paths[2]))
        try FileManager.default.removeItem(atPath: (paths[4] as NSString).deletingPathExtension + ".txt")
        let items = try ImageList.items(source: root.appendingPathComponent("images").path)
        #expect(items.map(\.path) == paths)
        let one = try encode(items, worldSize: 1, output: root.appendingPathComponent("one"))
        let three = try encode(items, worldSize: 3, output: root.appendingPathComponent("three"))
        #expect(one.0 == three.0 && one.1 == three.1)
        let records = String(decoding: one.0, as: UTF8.self).split(separator: "\n")
        #expect(records.count == 5)
        let skipped = String(decoding: one.1, as: UTF8.self)
        #expect(skipped.contains("no caption") && skipped.contains("unsupported format"), "\(skipped)")
    }

    @Test func interruptedPartFileResumes() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        try SyntheticImages.write(to: root.appendingPathComponent("images"), count: 4, seed: 5)
        let items = try ImageList.items(source: root.appendingPathComponent("images").path)
        let full = try encode(items, worldSize: 1, output: root.appendingPathComponent("full"))
        let output = root.appendingPathComponent("cut")
        _ = try encode(items, worldSize: 1, output: output)
        let part = output.appendingPathComponent("\(ImageEncodingJob.partsDirectory)/part-0.jsonl")
        let lines = try Data(contentsOf: part).split(separator: UInt8(ascii: "\n"))
        // Keep two whole lines and half of the third, as a killed run would leave them.
        try (Data(lines[0] + [10] + lines[1] + [10]) + Data(lines[2].prefix(10))).write(to: part)
        let job = try ImageEncodingJob(model: model, items: items, output: output)
        let done = try job.completedIndices()
        #expect(done.count == 2)
        try job.run(rank: 0, worldSize: 1, done: done) { _, _ in }
        let merged = output.appendingPathComponent("m.jsonl")
        _ = try job.merge(jsonl: merged, skippedURL: output.appendingPathComponent("s.jsonl"))
        #expect(try Data(contentsOf: merged) == full.0)
    }

    @Test func listsFromJSONLinesAndTSV() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let jsonl = root.appendingPathComponent("list.jsonl")
        try Data("{\"path\": \"a.png\", \"caption\": \"x\"}\n\n{\"path\": \"/b.jpg\"}\n".utf8).write(
            to: jsonl)
        #expect(
            try ImageList.items(source: jsonl.path) == [
                ImageItem(path: root.appendingPathComponent("a.png").path, caption: "x"),
                ImageItem(path: "/b.jpg", caption: nil),
            ])
        let tsv = root.appendingPathComponent("list.tsv")
        try Data("path\tcaption\nc.png\ta caption\twith a tab\r\n".utf8).write(to: tsv)
        #expect(
            try ImageList.items(source: tsv.path) == [
                ImageItem(path: root.appendingPathComponent("c.png").path, caption: "a caption\twith a tab")
            ])
        try Data("{\"caption\": 1}\n".utf8).write(to: jsonl)
        #expect(throws: ImageError.self) { try ImageList.items(source: jsonl.path) }
    }
}
