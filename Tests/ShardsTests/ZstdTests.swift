// Zstd round trips: one-shot, multi-frame, frames without content size, streaming files, the
// `zstd` command line tool, and errors on corrupt or truncated input.
import Foundation
import Testing

@testable import Shards

@Suite struct ZstdTests {
    let payload: [UInt8] = (0..<300_000).map { UInt8(truncatingIfNeeded: ($0 * 7919) >> 3 ^ $0 >> 11) }

    @Test func roundTripWithWorkersAndChecksum() throws {
        for workers in [0, 2] {
            let compressed = try payload.withUnsafeBytes { try Zstd.compress($0, level: 3, workers: workers) }
            #expect(compressed.count < payload.count)
            #expect([UInt8](try Zstd.decompress(compressed)) == payload)
        }
    }

    @Test func multipleFramesAndEmptyInput() throws {
        let first = try Zstd.compress(Data(payload[0..<1000]))
        let second = try Zstd.compress(Data(payload[1000...]))
        #expect([UInt8](try Zstd.decompress(first + second)) == payload)
        #expect(try Zstd.decompress(Data()).isEmpty)
        #expect(try Zstd.decompress(try Zstd.compress(Data())).isEmpty)
    }

    @Test func streamedFrameWithoutContentSizeDecodesAndZstdToolReadsIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let url = directory.url.appendingPathComponent("payload.zst")
        let writer = try ZstdFileWriter(url: url, level: 1, workers: 1)
        for start in stride(from: 0, to: payload.count, by: 70_000) {
            try payload[start..<min(start + 70_000, payload.count)].withUnsafeBytes { try writer.write($0) }
        }
        try writer.finish(synchronize: true)
        let compressed = try Data(contentsOf: url)
        #expect([UInt8](try Zstd.decompress(compressed)) == payload)
        #expect([UInt8](try ZstdFileReader(url: url).readToEnd()) == payload)

        let tool = Process()
        tool.executableURL = URL(fileURLWithPath: "/usr/bin/zstd")
        tool.arguments = ["-d", "-q", "-f", url.path, "-o", directory.url.appendingPathComponent("out").path]
        try tool.run()
        tool.waitUntilExit()
        #expect(tool.terminationStatus == 0)
        #expect([UInt8](try Data(contentsOf: directory.url.appendingPathComponent("out"))) == payload)
    }

    @Test func corruptAndTruncatedInputThrow() throws {
        let compressed = try Zstd.compress(Data(payload))
        #expect(throws: ZstdError.self) { try Zstd.decompress(compressed.prefix(compressed.count - 9)) }
        var flipped = compressed
        flipped[flipped.count / 2] ^= 0x55
        let error = #expect(throws: ZstdError.self) { try Zstd.decompress(flipped) }
        #expect(error?.description.contains("zstd") == true)

        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let url = directory.url.appendingPathComponent("cut.zst")
        try compressed.prefix(compressed.count / 2).write(to: url)
        #expect(throws: ZstdError.self) { try ZstdFileReader(url: url).readToEnd() }
    }

    @Test func crcKnownAnswers() {
        #expect(CRC32.castagnoli.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32.ieee.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        let long = Array(repeating: Array("123456789".utf8), count: 5).flatMap { $0 }
        let split = long.withUnsafeBytes {
            CRC32.castagnoli.update(
                CRC32.castagnoli.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<13])),
                UnsafeRawBufferPointer(rebasing: $0[13...]))
        }
        #expect(split == CRC32.castagnoli.checksum(long))
    }
}
