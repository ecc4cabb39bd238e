// Importing JSON Lines (plain and .zst): valid records round-trip, a bad record fails the import
// naming file and line, or is skipped and counted with --skip-invalid.
import Foundation
import Testing

@testable import Shards

@Suite struct ImporterTests {
    func line(_ caption: String, _ codes: [Int], extra: String = "") -> String {
        let json = String(data: try! JSONSerialization.data(withJSONObject: [caption]), encoding: .utf8)!
        return "{\"caption\": \(json.dropFirst().dropLast()), \"encoding\": \(codes)\(extra)}"
    }

    func options(_ directory: TemporaryDirectory, skipInvalid: Bool = false) -> ImportOptions {
        ImportOptions(
            outputDirectory: directory.url.appendingPathComponent("out"), recordsPerShard: 3,
            recordsPerBlock: 2,
            imageLength: 4, imageVocabSize: 100, skipInvalid: skipInvalid)
    }

    @Test func plainAndZstdFilesImportInOrder() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let plain = directory.url.appendingPathComponent("a.jsonl")
        try
            ([
                line("first \"quoted\"", [1, 2, 3, 99], extra: ", \"url\": \"x\""),
                line("ünï", [0, 0, 0, 0]), "",
            ]
            .joined(separator: "\r\n")).write(to: plain, atomically: true, encoding: .utf8)
        let zst = directory.url.appendingPathComponent("b.jsonl.zst")
        let body = (0..<5).map { line("z\($0)", [$0, $0, $0, $0]) }.joined(separator: "\n") + "\n"
        try Zstd.compress(Data(body.utf8)).write(to: zst)
        let summary = try Importer.run(files: [plain, zst], options: options(directory))
        #expect(summary.records == 7 && summary.skipped == 0)
        let dataset = try Dataset(directory: directory.url.appendingPathComponent("out"))
        #expect(dataset.manifest.shards.map(\.recordCount) == [3, 3, 1])
        #expect(try dataset.record(at: 0).caption == "first \"quoted\"")
        #expect(try dataset.record(at: 0).codes == [1, 2, 3, 99])
        #expect(try dataset.record(at: 1).caption == "ünï")
        #expect(try dataset.record(at: 6).caption == "z4")
        #expect(try dataset.record(at: 6).codes == [4, 4, 4, 4])
    }

    /// Lines 2..6 are bad in different ways; lines 1 and 7 are good.
    func writeMixed(_ directory: TemporaryDirectory) throws -> URL {
        let url = directory.url.appendingPathComponent("mixed.jsonl")
        var bytes = Data((line("good", [1, 2, 3, 4]) + "\n").utf8)
        bytes += Data((line("out of range", [1, 2, 300, 4]) + "\n").utf8)
        bytes += Data((line("short", [1, 2, 3]) + "\n").utf8)
        bytes +=
            Data("{\"caption\": \"bad".utf8) + Data([0xFF, 0xFE])
            + Data("\", \"encoding\": [1,2,3,4]}\n".utf8)
        bytes += Data("{\"encoding\": [1,2,3,4]}\n".utf8)
        bytes += Data(
            (line("fraction", [1, 2, 3, 4]).replacingOccurrences(of: "4]", with: "4.5]") + "\n").utf8)
        bytes += Data((line("also good", [5, 6, 7, 8]) + "\n").utf8)
        try bytes.write(to: url)
        return url
    }

    @Test func firstBadRecordFailsTheImportWithFileAndLine() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let url = try writeMixed(directory)
        let error = #expect(throws: ShardError.self) {
            try Importer.run(files: [url], options: options(directory))
        }
        guard case .invalidRecord(let path, let line, let detail) = error else {
            Issue.record("expected invalidRecord, got \(String(describing: error))")
            return
        }
        #expect(path == url.path && line == 2 && detail.contains("code 2 is 300"))
        #expect(error!.description.contains("mixed.jsonl:2: "))
        #expect(error!.description.contains("--skip-invalid"))
        let manifest = directory.url.appendingPathComponent("out/manifest.json")
        #expect(
            !FileManager.default.fileExists(atPath: manifest.path), "a failed import must not look complete")
    }

    @Test func skipInvalidCountsAndReportsSkippedRecords() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let url = try writeMixed(directory)
        let summary = try Importer.run(files: [url], options: options(directory, skipInvalid: true))
        #expect(summary.records == 2 && summary.skipped == 5)
        #expect(summary.skippedExamples.map { $0.split(separator: ":")[1] } == ["2", "3", "4", "5", "6"])
        #expect(summary.skippedExamples[2].contains("UTF-8"))
        let dataset = try Dataset(directory: directory.url.appendingPathComponent("out"))
        #expect(try dataset.record(at: 1).caption == "also good")
    }
}

@Suite struct RecordScannerTests {
    func scan(_ text: String, vocabulary: Int = 100) throws -> (String?, [UInt16]?) {
        var codes: [UInt16] = []
        let (caption, hasEncoding) = try RecordScanner.scan(
            ArraySlice(Array(text.utf8)), captionKey: Array("caption".utf8),
            encodingKey: Array("encoding".utf8),
            imageVocabSize: vocabulary, codes: &codes)
        return (caption.map { String(decoding: $0, as: UTF8.self) }, hasEncoding ? codes : nil)
    }

    @Test func decodesEscapesAndSkipsOtherValues() throws {
        let text =
            #"{"meta": {"a": [1, -2.5e3, null, true, {"b": "}"}]}, "caption": "q\"\\\/\n\u00e9\ud83d\ude00", "#
            + #""encoding": [ 1 , 2.0, 99 ], "x": false}"#
        let (caption, codes) = try scan(text)
        #expect(caption == "q\"\\/\né😀")
        #expect(codes == [1, 2, 99])
        #expect(try scan("{}") == (nil, nil))
        #expect(try scan(#"{"caption": 3, "encoding": "no"}"#) == (nil, nil))
    }

    @Test func rejectsBadCodesAndBadSyntax() {
        for (text, message) in [
            (#"{"encoding": [1, 2.5]}"#, "code 1 is 2.5"),
            (#"{"encoding": [true]}"#, "code 0 is not a number"),
            (#"{"encoding": [-1]}"#, "code 0 is -1"), (#"{"encoding": [100]}"#, "code 0 is 100"),
            (#"{"caption": "a"} x"#, "text after the object"), (#"{"caption": "a"#, "unterminated string"),
            (#"{"caption": "\ud800"}"#, "unpaired surrogate"), (#"{"a": -}"#, "bad number"),
            (#"{"a" 1}"#, "expected ':'"), (#"{"a": }"#, "expected a value"),
        ] {
            do {
                _ = try scan(text)
                Issue.record("\(text) was accepted")
            } catch {
                let reason = (error as? Importer.RecordFailure)?.reason ?? "\(error)"
                #expect(reason.contains(message), "\(text): \(reason)")
            }
        }
    }
}
