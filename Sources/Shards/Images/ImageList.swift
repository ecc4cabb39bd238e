// The (image path, caption) pairs of an image dataset: a folder of images with a caption file
// beside each (img2dataset's `name.jpg` + `name.txt`, subfolders walked), or a JSON Lines or
// TSV file listing them. A missing caption is kept as nil so that the caller can report it.
import Foundation

/// One image to encode: where it is and its caption (nil when it has none).
public struct ImageItem: Equatable, Sendable {
    public var path: String
    public var caption: String?

    /// An item for `path` with `caption`.
    public init(path: String, caption: String?) {
        self.path = path
        self.caption = caption
    }
}

/// Lists the images of a dataset in a fixed order (the order of the output records).
public enum ImageList {
    /// File extensions taken as images in a folder (case-insensitive).
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

    /// The items of `source`: a directory (walked, sorted by relative path), a `.tsv` file
    /// (`path<TAB>caption` per line, an optional `path<TAB>caption` header) or JSON Lines
    /// (`{"path": ..., "caption": ...}` per line). Relative paths are resolved against the list's
    /// directory. Throws `ImageError` naming the file and line of a malformed entry.
    public static func items(
        source: String, pathKey: String = "path", captionKey: String = "caption"
    ) throws -> [ImageItem] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
            throw ImageError(path: source, "no such file or directory")
        }
        if isDirectory.boolValue { return try folder(source) }
        let text: String
        do { text = try String(contentsOfFile: source, encoding: .utf8) } catch {
            throw ImageError(path: source, "cannot read as UTF-8 text: \(error.localizedDescription)")
        }
        let base = URL(fileURLWithPath: source).deletingLastPathComponent()
        let isTSV = source.lowercased().hasSuffix(".tsv")
        var items: [ImageItem] = []
        // "\r\n" is one Character in Swift: split on both forms so CRLF files read right.
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        for (number, line) in lines.enumerated() {
            let line = line.hasSuffix("\r") ? line.dropLast() : line
            if line.allSatisfy(\.isWhitespace) { continue }
            let (path, caption): (String, String?)
            if isTSV {
                let fields = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
                if number == 0 && fields.first == Substring(pathKey) && fields.last == Substring(captionKey) {
                    continue
                }
                path = String(fields[0])
                caption = fields.count > 1 ? String(fields[1]) : nil
            } else {
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                guard let object, let value = object[pathKey] as? String else {
                    throw ImageError(
                        path: "\(source):\(number + 1)", "expected a JSON object with a string '\(pathKey)'")
                }
                path = value
                caption = object[captionKey] as? String
            }
            let resolved = path.hasPrefix("/") ? path : base.appendingPathComponent(path).path
            items.append(ImageItem(path: resolved, caption: caption))
        }
        return items
    }

    /// Every image below `directory` (sorted by relative path), each captioned by the `.txt`
    /// file of the same name when there is one.
    static func folder(_ directory: String) throws -> [ImageItem] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else {
            throw ImageError(path: directory, "cannot list the directory")
        }
        var relativePaths: [String] = []
        while let relative = walker.nextObject() as? String {
            let suffix = (relative as NSString).pathExtension.lowercased()
            if imageExtensions.contains(suffix) { relativePaths.append(relative) }
        }
        return relativePaths.sorted().map { relative in
            let path = (directory as NSString).appendingPathComponent(relative)
            let captionPath = (path as NSString).deletingPathExtension + ".txt"
            let caption = try? String(contentsOfFile: captionPath, encoding: .utf8)
            return ImageItem(
                path: path, caption: caption.map { $0.trimmingCharacters(in: .newlines) })
        }
    }
}
