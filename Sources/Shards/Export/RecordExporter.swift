// `dalle-train export-records`: a shard dataset back to dalle-mini JSON Lines
// (`{"caption":…,"encoding":[…]}` per line, plain or .zst), written to a temporary file, then renamed.
import Foundation

/// Writes the records of a dataset as JSON Lines that `Importer` reads back to the same shards.
public enum RecordExporter {
    /// Exports every record of the dataset in `directory` to `output` (zstd-compressed when it
    /// ends in `.zst`). The file appears only when complete. Returns the number of records.
    @discardableResult
    public static func export(
        dataset directory: URL, to output: URL, captionKey: String = "caption",
        encodingKey: String = "encoding"
    ) throws -> Int {
        let dataset = try Dataset(directory: directory)
        let temporary = output.deletingLastPathComponent().appendingPathComponent(
            ".\(output.lastPathComponent).partial-\(getpid())")
        defer { try? FileManager.default.removeItem(at: temporary) }
        let sink = try ExportFile(url: temporary, compressed: output.pathExtension == "zst")
        let prefix = Array("{".utf8) + jsonString(captionKey) + Array(":".utf8)
        let middle = Array(",".utf8) + jsonString(encodingKey) + Array(":[".utf8)
        var line: [UInt8] = []
        var count = 0
        for shard in dataset.manifest.shards.indices {
            let file = try ShardFile(url: dataset.shardURL(shard))
            for block in file.blocks.indices {
                let records = try file.readBlock(block)
                line.removeAll(keepingCapacity: true)
                for record in 0..<records.recordCount {
                    line += prefix
                    appendJSONString(try records.caption(record), to: &line)
                    line += middle
                    for (position, code) in records.codes(record).enumerated() {
                        if position > 0 { line.append(UInt8(ascii: ",")) }
                        appendDecimal(Int(code), to: &line)
                    }
                    line += Array("]}\n".utf8)
                    count += 1
                }
                try sink.write(line)
            }
        }
        try sink.finish()
        do {
            if FileManager.default.fileExists(atPath: output.path) {
                try FileManager.default.removeItem(at: output)
            }
            try FileManager.default.moveItem(at: temporary, to: output)
        } catch {
            throw ShardError.cannotWrite(path: output.path, reason: "\(error)")
        }
        return count
    }

    /// `text` as a JSON string the way Python's `json.dumps(..., ensure_ascii=False)` writes it:
    /// `"` and `\` escaped, `\b \f \n \r \t` short, other control characters as `\u00xx`.
    static func jsonString(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        appendJSONString(text, to: &out)
        return out
    }

    static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [0x5C, 0x22]
            case UInt8(ascii: "\\"): out += [0x5C, 0x5C]
            case 0x08: out += [0x5C, UInt8(ascii: "b")]
            case 0x0C: out += [0x5C, UInt8(ascii: "f")]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        precondition(value >= 0, "codes are non-negative")
        if value >= 10 { appendDecimal(value / 10, to: &out) }
        out.append(UInt8(ascii: "0") + UInt8(value % 10))
    }
}

/// A plain or zstd-compressed output file.
private final class ExportFile {
    private let zstd: ZstdFileWriter?
    private let handle: FileHandle?
    private let url: URL

    init(url: URL, compressed: Bool) throws {
        self.url = url
        if compressed {
            zstd = try ZstdFileWriter(url: url)
            handle = nil
        } else {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw ShardError.cannotWrite(path: url.path, reason: "cannot create the file")
            }
            handle = try FileHandle(forWritingTo: url)
            zstd = nil
        }
    }

    func write(_ bytes: [UInt8]) throws {
        do {
            if let zstd {
                try bytes.withUnsafeBytes { try zstd.write($0) }
            } else if let handle {
                try handle.write(contentsOf: bytes)
            }
        } catch {
            throw ShardError.cannotWrite(path: url.path, reason: "\(error)")
        }
    }

    func finish() throws {
        do {
            try zstd?.finish(synchronize: true)
            try handle?.synchronize()
            try handle?.close()
        } catch {
            throw ShardError.cannotWrite(path: url.path, reason: "\(error)")
        }
    }
}
