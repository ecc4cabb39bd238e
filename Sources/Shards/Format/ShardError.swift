// Every environmental failure of the data side, each naming the file (and block, record or
// line) and ending with a hint. Programmer errors are preconditions instead.

/// Errors from shard files, manifests, importers and readers.
public enum ShardError: Error, CustomStringConvertible, Equatable {
    case cannotRead(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case badMagic(path: String, found: [UInt8])
    case unsupportedVersion(path: String, found: UInt32, supported: UInt32)
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    case corruptHeader(path: String, detail: String)
    case corruptIndex(path: String, detail: String)
    case corruptBlock(path: String, block: Int, detail: String)
    case codeOutOfRange(path: String, block: Int, record: Int, code: Int, vocabularySize: Int)
    case invalidCaption(path: String, block: Int, record: Int)
    case badManifest(path: String, detail: String)
    case invalidRecord(path: String, line: Int, detail: String)
    /// A bad row of a Parquet file: 0-based row in the file, row group, and row within the group.
    case invalidRow(path: String, row: Int, rowGroup: Int, rowInGroup: Int, detail: String)
    case datasetTooSmall(path: String, records: Int, recordsPerMicroStep: Int)
    case cursorMismatch(detail: String)

    public var description: String {
        switch self {
        case .cannotRead(let path, let reason):
            return "\(path): cannot read (\(reason)); check the path and permissions"
        case .cannotWrite(let path, let reason):
            return "\(path): cannot write (\(reason)); check free space and permissions"
        case .badMagic(let path, let found):
            let hex = found.map { String($0, radix: 16) }.joined(separator: " ")
            return "shard \(path): magic bytes [\(hex)], expected \"DTSHARD\\0\"; "
                + "not a dalle-train shard: convert the data with `dalle-train import`"
        case .unsupportedVersion(let path, let found, let supported):
            return "shard \(path): format version \(found), this build reads version \(supported); "
                + "re-import the dataset with this version of `dalle-train import`"
        case .truncated(let path, let expected, let actual):
            return "shard \(path): truncated, \(actual) bytes where the header promises \(expected); "
                + "the copy is incomplete: copy or re-import it again"
        case .corruptHeader(let path, let detail):
            return "shard \(path): corrupt header (\(detail)); re-import or re-copy the shard"
        case .corruptIndex(let path, let detail):
            return "shard \(path): corrupt block index (\(detail)); re-import or re-copy the shard"
        case .corruptBlock(let path, let block, let detail):
            return "shard \(path): block \(block) is corrupt (\(detail)); re-import or re-copy the shard"
        case .codeOutOfRange(let path, let block, let record, let code, let vocabularySize):
            return "shard \(path): block \(block), record \(record): image code \(code) is outside "
                + "[0, \(vocabularySize)); the shard does not match its manifest's image_vocab_size"
        case .invalidCaption(let path, let block, let record):
            return "shard \(path): block \(block), record \(record): caption is not valid UTF-8; "
                + "re-import the dataset"
        case .badManifest(let path, let detail):
            return "dataset manifest \(path): \(detail); point --data at a directory written by "
                + "`dalle-train import` or `dalle-train synth`"
        case .invalidRecord(let path, let line, let detail):
            return "\(path):\(line): \(detail); fix the record or pass --skip-invalid to skip such records"
        case .invalidRow(_, _, _, _, let detail):
            return "\(location): \(detail); fix the record or pass --skip-invalid to skip such records"
        case .datasetTooSmall(let path, let records, let recordsPerMicroStep):
            return "dataset \(path) has \(records) records, fewer than one global batch of "
                + "\(recordsPerMicroStep) (ranks x batch); use a smaller batch or more data"
        case .cursorMismatch(let detail):
            return "data cursor does not fit this run: \(detail); resume with the same dataset and seed"
        }
    }
}

extension ShardError {
    /// Where a bad input record is: "file:line" (JSON Lines) or "file: row R (row group G, row r)"
    /// (Parquet); empty for other errors.
    public var location: String {
        switch self {
        case .invalidRecord(let path, let line, _): return "\(path):\(line)"
        case .invalidRow(let path, let row, let rowGroup, let rowInGroup, _):
            return "\(path): row \(row) (row group \(rowGroup), row \(rowInGroup))"
        default: return ""
        }
    }
}
