// zstd compression for shards and checkpoints: one-shot buffers and streaming files.
// The only file that imports CZstd; everything else goes through `Zstd`, `ZstdFileWriter`, `ZstdFileReader`.
import CZstd
import Foundation

/// A zstd library failure (with zstd's own error string) or a file that ends mid-frame.
public struct ZstdError: Error, CustomStringConvertible {
    /// The zstd function or step that failed, e.g. `ZSTD_decompressStream`.
    public var call: String
    /// zstd's error string (`ZSTD_getErrorName`) or what was wrong.
    public var message: String
    /// The file involved, when there is one.
    public var path: String?

    public var description: String {
        let location = path.map { "\($0): " } ?? ""
        return "\(location)zstd \(call) failed: \(message); the data is corrupt, truncated or not zstd"
    }
}

/// One-shot zstd compression and decompression of in-memory buffers.
public enum Zstd {
    /// Throws `ZstdError` when `code` is a zstd error code, else returns it as an Int.
    @discardableResult
    static func check(_ code: Int, _ call: String, path: String? = nil) throws -> Int {
        if ZSTD_isError(code) != 0 {
            throw ZstdError(call: call, message: String(cString: ZSTD_getErrorName(code)), path: path)
        }
        return code
    }

    /// A compression context with `level`, `workers` threads (0: in the caller's thread) and
    /// the frame content checksum on or off.
    static func makeContext(level: Int32, workers: Int, checksum: Bool) throws -> OpaquePointer {
        guard let context = ZSTD_createCCtx() else {
            throw ZstdError(call: "ZSTD_createCCtx", message: "out of memory")
        }
        do {
            try check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level), "set level \(level)")
            try check(
                ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, checksum ? 1 : 0), "set checksumFlag")
            if workers > 0 {
                try check(ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, Int32(workers)), "set nbWorkers")
            }
        } catch {
            ZSTD_freeCCtx(context)
            throw error
        }
        return context
    }

    /// Compresses `bytes` into one zstd frame (content size recorded, checksum if asked),
    /// with `workers` extra threads (0 compresses in the caller's thread).
    public static func compress(
        _ bytes: UnsafeRawBufferPointer, level: Int32 = 3, workers: Int = 0, checksum: Bool = true
    ) throws -> Data {
        let context = try makeContext(level: level, workers: workers, checksum: checksum)
        defer { ZSTD_freeCCtx(context) }
        let bound = ZSTD_compressBound(bytes.count)
        var output = Data(count: bound)
        let written = try output.withUnsafeMutableBytes { out in
            try check(
                ZSTD_compress2(context, out.baseAddress, bound, bytes.baseAddress, bytes.count),
                "ZSTD_compress2")
        }
        output.count = written
        return output
    }

    /// Compresses `bytes` (a convenience over the pointer form).
    public static func compress(_ bytes: Data, level: Int32 = 3, workers: Int = 0, checksum: Bool = true)
        throws -> Data
    {
        try bytes.withUnsafeBytes { try compress($0, level: level, workers: workers, checksum: checksum) }
    }

    /// Decompresses one or more concatenated zstd frames, with or without recorded content
    /// sizes; checks frame checksums where present. Throws on a frame cut short.
    public static func decompress(_ data: Data) throws -> Data {
        try data.withUnsafeBytes { try decompress($0) }
    }

    /// Decompresses one or more concatenated zstd frames held in `source`.
    public static func decompress(_ source: UnsafeRawBufferPointer) throws -> Data {
        guard let context = ZSTD_createDStream() else {
            throw ZstdError(call: "ZSTD_createDStream", message: "out of memory")
        }
        defer { ZSTD_freeDStream(context) }
        let contentSize = ZSTD_getFrameContentSize(source.baseAddress, source.count)
        var capacity = max(1 << 16, source.count * 2)
        if contentSize < ZSTD_CONTENTSIZE_ERROR, contentSize < UInt64(Int.max / 2) {
            capacity = max(capacity, Int(contentSize) + 1)
        }
        var output = Data(count: capacity)
        var produced = 0
        var input = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
        var remaining = 0  // 0: the last frame ended cleanly
        while input.pos < input.size || remaining != 0 {
            if produced == output.count { output.count = output.count * 2 }
            let before = input.pos
            let step = try output.withUnsafeMutableBytes { out -> (Int, Int) in
                var buffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: produced)
                let code = try check(ZSTD_decompressStream(context, &buffer, &input), "ZSTD_decompressStream")
                return (code, buffer.pos)
            }
            remaining = step.0
            let progressed = step.1 > produced || input.pos > before
            produced = step.1
            if !progressed && input.pos == input.size && produced < output.count {
                throw ZstdError(
                    call: "ZSTD_decompressStream",
                    message: "input ends inside a frame (\(source.count) bytes read)")
            }
        }
        output.count = produced
        return output
    }

    /// Decompresses exactly one frame from `source` into `destination`, which must be large
    /// enough; returns the number of bytes written.
    public static func decompress(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer
    ) throws -> Int {
        try check(
            ZSTD_decompress(destination.baseAddress, destination.count, source.baseAddress, source.count),
            "ZSTD_decompress")
    }
}

/// Streams bytes into a zstd-compressed file (one frame, content checksum on), so that
/// payloads of hundreds of megabytes never need a second in-memory copy. `zstd -d` decodes it.
public final class ZstdFileWriter {
    /// The file being written.
    public let url: URL
    private let context: OpaquePointer
    private let descriptor: Int32
    private var output: UnsafeMutableRawBufferPointer
    private var isFinished = false
    /// Compressed bytes written so far.
    public private(set) var byteCount = 0

    /// Creates (or truncates) `url` and prepares a compressor with `level` and `workers` threads.
    public init(url: URL, level: Int32 = 3, workers: Int = 0, checksum: Bool = true) throws {
        self.url = url
        context = try Zstd.makeContext(level: level, workers: workers, checksum: checksum)
        descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if descriptor < 0 {
            ZSTD_freeCCtx(context)
            throw ZstdError(call: "open", message: String(cString: strerror(errno)), path: url.path)
        }
        output = .allocate(byteCount: 4 << 20, alignment: 64)
    }

    deinit {
        ZSTD_freeCCtx(context)
        output.deallocate()
        close(descriptor)
    }

    /// Compresses and writes `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!isFinished, "ZstdFileWriter.write after finish()")
        var input = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
        while input.pos < input.size {
            try drain(&input, ZSTD_e_continue)
        }
    }

    /// Ends the frame, optionally fsyncs, and closes the file. Returns the compressed size.
    @discardableResult
    public func finish(synchronize: Bool = false) throws -> Int {
        precondition(!isFinished, "ZstdFileWriter.finish called twice")
        isFinished = true
        var input = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while try drain(&input, ZSTD_e_end) != 0 {}
        if synchronize && fsync(descriptor) != 0 {
            throw ZstdError(call: "fsync", message: String(cString: strerror(errno)), path: url.path)
        }
        return byteCount
    }

    /// One `ZSTD_compressStream2` call, then writes whatever it produced; returns zstd's hint.
    @discardableResult
    private func drain(_ input: inout ZSTD_inBuffer, _ mode: ZSTD_EndDirective) throws -> Int {
        var buffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let remaining = try Zstd.check(
            ZSTD_compressStream2(context, &buffer, &input, mode), "ZSTD_compressStream2", path: url.path)
        var offset = 0
        while offset < buffer.pos {
            let written = Foundation.write(descriptor, output.baseAddress! + offset, buffer.pos - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw ZstdError(call: "write", message: String(cString: strerror(errno)), path: url.path)
            }
            offset += written
        }
        byteCount += buffer.pos
        return remaining
    }
}

/// Streams the decompressed bytes of a zstd file (any number of frames, checksums verified).
public final class ZstdFileReader {
    /// The file being read.
    public let url: URL
    private let context: OpaquePointer
    private let descriptor: Int32
    private var input: UnsafeMutableRawBufferPointer
    private var inBuffer: ZSTD_inBuffer
    private var frameRemaining = 0
    private var isAtEndOfFile = false

    /// Opens `url` for reading.
    public init(url: URL) throws {
        self.url = url
        guard let context = ZSTD_createDStream() else {
            throw ZstdError(call: "ZSTD_createDStream", message: "out of memory", path: url.path)
        }
        self.context = context
        descriptor = open(url.path, O_RDONLY)
        if descriptor < 0 {
            ZSTD_freeDStream(context)
            throw ZstdError(call: "open", message: String(cString: strerror(errno)), path: url.path)
        }
        input = .allocate(byteCount: 1 << 20, alignment: 64)
        inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: 0, pos: 0)
    }

    deinit {
        ZSTD_freeDStream(context)
        input.deallocate()
        close(descriptor)
    }

    /// Fills `buffer` with the next decompressed bytes; returns how many (0 only at the end).
    /// Throws on corrupt data and on a file that ends inside a frame.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var out = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
        while out.pos < out.size {
            if inBuffer.pos == inBuffer.size && !isAtEndOfFile {
                let count = Foundation.read(descriptor, input.baseAddress, input.count)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw ZstdError(call: "read", message: String(cString: strerror(errno)), path: url.path)
                }
                isAtEndOfFile = count == 0
                inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: count, pos: 0)
            }
            let before = (inBuffer.pos, out.pos)
            let code = try Zstd.check(
                ZSTD_decompressStream(context, &out, &inBuffer), "ZSTD_decompressStream", path: url.path)
            let progressed = inBuffer.pos != before.0 || out.pos != before.1
            // Without progress zstd returns the next frame's header hint, not the state of the last one.
            if progressed { frameRemaining = code }
            if isAtEndOfFile && inBuffer.pos == inBuffer.size && !progressed {
                if frameRemaining != 0 {
                    throw ZstdError(
                        call: "ZSTD_decompressStream", message: "file ends inside a zstd frame",
                        path: url.path)
                }
                break
            }
        }
        return out.pos
    }

    /// Reads the whole remaining content.
    public func readToEnd() throws -> Data {
        var result = Data()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 64)
        defer { chunk.deallocate() }
        while true {
            let count = try read(into: chunk)
            if count == 0 { return result }
            result.append(chunk.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count)
        }
    }
}
