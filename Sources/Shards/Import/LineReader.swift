// Line-by-line reading of JSON Lines input, plain or zstd-compressed (by the `.zst` extension),
// in large chunks so that multi-gigabyte files stream in constant memory.
import Foundation

/// Reads the lines of a text file (`\n` or `\r\n` endings), decompressing `.zst` files on the fly.
final class LineReader {
    let url: URL
    private let zstd: ZstdFileReader?
    private let handle: FileHandle?
    private var buffer: [UInt8] = []
    private var start = 0
    private var isAtEnd = false
    private let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 64)
    /// 1-based number of the line last returned.
    private(set) var lineNumber = 0

    init(url: URL) throws {
        self.url = url
        if url.pathExtension == "zst" {
            zstd = try ZstdFileReader(url: url)
            handle = nil
        } else {
            do {
                handle = try FileHandle(forReadingFrom: url)
            } catch {
                throw ShardError.cannotRead(path: url.path, reason: error.localizedDescription)
            }
            zstd = nil
        }
    }

    deinit {
        chunk.deallocate()
        try? handle?.close()
    }

    /// The next line without its terminator, or nil at the end of the file.
    func next() throws -> ArraySlice<UInt8>? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = newline
                if end > start && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = buffer[start..<end]
                start = newline + 1
                lineNumber += 1
                return line
            }
            if isAtEnd {
                guard start < buffer.count else { return nil }
                let line = buffer[start...]
                start = buffer.count
                lineNumber += 1
                return line
            }
            buffer.removeSubrange(0..<start)
            start = 0
            try fill()
        }
    }

    private func fill() throws {
        if let zstd {
            let count = try zstd.read(into: chunk)
            isAtEnd = count == 0
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
        } else if let handle {
            let data: Data?
            do {
                data = try handle.read(upToCount: chunk.count)
            } catch {
                throw ShardError.cannotRead(path: url.path, reason: "\(error)")
            }
            isAtEnd = data?.isEmpty ?? true
            if let data { buffer.append(contentsOf: data) }
        }
    }
}
