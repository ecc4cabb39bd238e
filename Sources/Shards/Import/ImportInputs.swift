// The input list of an import: files as given, and directories expanded into their `.parquet`
// part files in name order (the layout of Hugging Face datasets).
import Foundation

/// Expands and classifies import inputs.
enum ImportInputs {
    /// Whether `url` is read as Parquet (by its `.parquet` extension).
    static func isParquet(_ url: URL) -> Bool { url.pathExtension.lowercased() == "parquet" }

    /// Files as given; each directory replaced by the `.parquet` files under it, sorted by their
    /// path relative to the directory. A directory without any is an error.
    static func expand(_ inputs: [URL]) throws -> [URL] {
        var files: [URL] = []
        for input in inputs {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input.path, isDirectory: &isDirectory),
                isDirectory.boolValue
            else {
                files.append(input)
                continue
            }
            guard let walker = FileManager.default.enumerator(atPath: input.path) else {
                throw ShardError.cannotRead(path: input.path, reason: "cannot list the directory")
            }
            let parts = walker.compactMap { $0 as? String }.filter { $0.lowercased().hasSuffix(".parquet") }
                .sorted()
            guard !parts.isEmpty else {
                throw ShardError.cannotRead(path: input.path, reason: "the directory holds no .parquet files")
            }
            files += parts.map { input.appendingPathComponent($0) }
        }
        return files
    }
}
