// The readers of untrusted input, each as a fuzz target: bytes in, a thrown error or a value out,
// never a crash. `dalle-train-fuzz` runs one (FUZZ_TARGET) under libFuzzer, or replays files.
import Foundation
import Shards
import Trainer

/// One reader to fuzz: its name and the function that feeds it bytes.
struct FuzzTarget {
    let name: String
    let run: ([UInt8]) -> Void

    /// Every target, by the name FUZZ_TARGET takes.
    static let all: [FuzzTarget] = [
        FuzzTarget(name: "shard") { bytes in
            withScratchFile(bytes, name: "fuzz.dtshard") { url in
                guard let file = try? ShardFile(url: url) else { return }
                for block in 0..<file.blocks.count { _ = try? file.readBlock(block) }
            }
        },
        FuzzTarget(name: "manifest") { bytes in
            withScratchDataset(manifest: bytes) { directory in _ = try? Dataset(directory: directory) }
        },
        FuzzTarget(name: "safetensors") { bytes in
            guard let file = try? SafeTensorsFile(bytes: Data(bytes), path: "fuzz.safetensors") else {
                return
            }
            for entry in file.entries where entry.dtype == "F32" { _ = try? file.floats(entry.name) }
        },
        FuzzTarget(name: "model-config") { bytes in
            _ = try? JSONDecoder().decode(DalleBartConfig.self, from: Data(bytes))
        },
        FuzzTarget(name: "run-config") { bytes in
            _ = try? TrainingOptions.decode(json: Data(bytes), path: "fuzz.json").validate()
        },
        FuzzTarget(name: "trainer-state") { bytes in
            _ = try? JSONDecoder().decode(TrainerState.self, from: Data(bytes))
        },
        FuzzTarget(name: "tokenizer") { bytes in
            // The first byte picks the file the rest replaces in a valid tokenizer directory.
            guard let first = bytes.first else { return }
            withScratchTokenizer(
                file: first % 2 == 0 ? "vocab.json" : "merges.txt", bytes: Array(bytes.dropFirst())
            ) {
                guard let tokenizer = try? BartTokenizer(directory: $0) else { return }
                _ = tokenizer.encode("a red circle <mask> at the top left", maxLength: 16)
            }
        },
        FuzzTarget(name: "msgpack") { bytes in
            _ = bytes.withUnsafeBytes { try? FlaxTree.leaves(in: $0, path: "fuzz.msgpack") }
        },
        FuzzTarget(name: "parquet") { bytes in _ = ParquetRecordReader.fuzz(bytes) },
    ]
}

/// A per-process scratch directory (libFuzzer runs one input at a time).
let scratchDirectory: URL = {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("dalle-train-fuzz-\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}()

/// Writes `bytes` to a scratch file and passes its URL to `body`.
func withScratchFile(_ bytes: [UInt8], name: String, _ body: (URL) -> Void) {
    let url = scratchDirectory.appendingPathComponent(name)
    guard (try? Data(bytes).write(to: url)) != nil else { return }
    body(url)
}

/// A dataset directory holding one valid shard of 3 records and `manifest` as manifest.json.
func withScratchDataset(manifest: [UInt8], _ body: (URL) -> Void) {
    let directory = scratchDirectory.appendingPathComponent("dataset")
    if !FileManager.default.fileExists(atPath: directory.appendingPathComponent("shard-00000.dtshard").path) {
        guard let writer = try? DatasetWriter(directory: directory, imageLength: 4, imageVocabSize: 16) else {
            return
        }
        for index in 0..<3 {
            try? writer.append(caption: "record \(index)", codes: [1, 2, 3, UInt16(index)])
        }
        _ = try? writer.finish()
    }
    guard (try? Data(manifest).write(to: directory.appendingPathComponent(DatasetManifest.fileName))) != nil
    else {
        return
    }
    body(directory)
}

/// A tokenizer directory: the seed directory's files (FUZZ_TOKENIZER, a vocab.json + merges.txt
/// directory) with `file` replaced by `bytes`.
func withScratchTokenizer(file: String, bytes: [UInt8], _ body: (URL) -> Void) {
    guard let seed = ProcessInfo.processInfo.environment["FUZZ_TOKENIZER"] else { return }
    let directory = scratchDirectory.appendingPathComponent("tokenizer")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    for name in ["vocab.json", "merges.txt"] {
        let source = URL(fileURLWithPath: seed).appendingPathComponent(name)
        let target = directory.appendingPathComponent(name)
        if name == file {
            try? Data(bytes).write(to: target)
        } else {
            try? FileManager.default.removeItem(at: target)
            try? FileManager.default.copyItem(at: source, to: target)
        }
    }
    body(directory)
}
