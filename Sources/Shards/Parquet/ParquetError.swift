// Errors of the Parquet reader: each names the file, and where it applies the column, row group
// and page, the feature that is not supported or what is corrupt, and what to do about it.

/// A Parquet file that cannot be imported.
public struct ParquetError: Error, CustomStringConvertible, Equatable {
    /// What kind of failure.
    public enum Kind: Sendable, Equatable {
        /// Not a Parquet file at all (no `PAR1` magic, too short).
        case notParquet
        /// Damaged or truncated: footer, metadata, page headers or page data do not add up.
        case corrupt
        /// Valid Parquet using a type, encoding, codec or layout this reader does not implement.
        case unsupported
        /// The caption or encoding column is not in the file.
        case missingColumn
    }

    public var kind: Kind
    public var path: String
    /// The column concerned, when there is one.
    public var column: String?
    /// What was found; for `unsupported`, the feature.
    public var detail: String

    public init(_ kind: Kind, path: String, column: String? = nil, detail: String) {
        self.kind = kind
        self.path = path
        self.column = column
        self.detail = detail
    }

    public var description: String {
        let where_ = column.map { "\(path): column '\($0)'" } ?? path
        switch kind {
        case .notParquet:
            return
                "\(path): not a Parquet file (\(detail)); import takes .parquet, .jsonl and .jsonl.zst files"
        case .corrupt:
            return "\(where_): corrupt Parquet data (\(detail)); the file is damaged or truncated: copy or "
                + "write it again"
        case .unsupported:
            return "\(where_): not supported by this reader: \(detail); rewrite the file with pyarrow's "
                + "defaults (pandas DataFrame.to_parquet) or convert it to JSON Lines"
        case .missingColumn:
            return "\(path): \(detail); name the columns with --caption-column and --encoding-column"
        }
    }
}
