// Where imported records go: the dataset writer, the skip-or-fail policy for bad records and
// the progress reports, shared by the JSON Lines and Parquet inputs.
import Foundation

/// Receives the valid and invalid records of an import, in input order.
struct ImportSink {
    let writer: DatasetWriter
    let skipInvalid: Bool
    let progressInterval: Double
    let progress: (ImportSummary) -> Void
    private(set) var summary = ImportSummary()
    private let start = Date()
    private var lastReport = Date()

    init(
        writer: DatasetWriter, skipInvalid: Bool, progressInterval: Double,
        progress: @escaping (ImportSummary) -> Void
    ) {
        self.writer = writer
        self.skipInvalid = skipInvalid
        self.progressInterval = progressInterval
        self.progress = progress
    }

    /// Writes one valid record.
    mutating func append(caption: String, codes: some Collection<UInt16>) throws {
        try writer.append(caption: caption, codes: codes)
        summary.records += 1
        reportIfDue()
    }

    /// A bad record: throws `error` unless invalid records are skipped, else counts it and keeps
    /// `example` among the first ten.
    mutating func reject(_ error: ShardError, example: String) throws {
        guard skipInvalid else { throw error }
        summary.skipped += 1
        if summary.skippedExamples.count < 10 { summary.skippedExamples.append(example) }
        reportIfDue()
    }

    /// Writes the manifest and returns the final summary.
    mutating func finish() throws -> ImportSummary {
        summary.manifest = try writer.finish()
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    private mutating func reportIfDue() {
        guard (summary.records + summary.skipped) % 1024 == 0 else { return }
        let now = Date()
        guard now.timeIntervalSince(lastReport) >= progressInterval else { return }
        lastReport = now
        summary.seconds = now.timeIntervalSince(start)
        progress(summary)
    }
}
