// Every supported page codec decompresses bytes written by pyarrow (`pyarrow.compress`), and
// refuses data whose size differs from what the page header says.
import Foundation
import Testing

@testable import Shards

@Suite struct ParquetCodecTests {
    /// `"dalle-mini codes " * 6 + bytes(range(40))`, 142 bytes, compressed by pyarrow 26.0.1.
    static let original =
        Array(String(repeating: "dalle-mini codes ", count: 6).utf8) + (0..<40).map { UInt8($0) }
    static let compressed: [(ParquetCodec, String)] = [
        (
            .snappy,
            "8e014064616c6c652d6d696e6920636f64657320fe11005211009c000102030405060708090a0b0c0d0e0f101112131415"
                + "161718191a1b1c1d1e1f2021222324252627"
        ),
        (
            .gzip,
            "1f8b08000000000002034b49ccc949d5cdcdcccb5448ce4f492d5648a18500032313330b2b1b3b072717370f2f1fbf80a090"
                + "b088a898b884a494b48cac9cbc82a292b28aaa9a3a0033fdb98d8e000000"
        ),
        (
            .brotli,
            "1b8d000044c786f04b1df892b5199ab001076e41a30d13f00d52de39eff4e11d92887f1f718845cd2389011bd829548fb9f601"
        ),
        (
            .zstd,
            "28b52ffd208e0d0200940364616c6c652d6d696e6920636f64657320000102030405060708090a0b0c0d0e0f101112131415"
                + "161718191a1b1c1d1e1f2021222324252627010085a6b904"
        ),
        (
            .lz4Raw,
            "ff0264616c6c652d6d696e6920636f64657320110042f019000102030405060708090a0b0c0d0e0f101112131415161718"
                + "191a1b1c1d1e1f2021222324252627"
        ),
    ]

    static func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    func decompress(_ codec: ParquetCodec, _ source: [UInt8], size: Int) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size)
        try source.withUnsafeBytes { input in
            try output.withUnsafeMutableBytes { try codec.decompress(input, into: $0) }
        }
        return output
    }

    @Test(arguments: compressed.map(\.0))
    func decompressesPyarrowOutput(_ codec: ParquetCodec) throws {
        let source = Self.bytes(Self.compressed.first { $0.0 == codec }!.1)
        #expect(try decompress(codec, source, size: Self.original.count) == Self.original)
        #expect(throws: ParquetDataError.self) {
            try decompress(codec, source, size: Self.original.count + 1)
        }
        #expect(throws: ParquetDataError.self) { try decompress(codec, Array(source.prefix(10)), size: 142) }
    }

    @Test func lzoAndHadoopLZ4AreRefused() {
        #expect(!ParquetCodec.lzo.isSupported && !ParquetCodec.lz4Hadoop.isSupported)
        #expect(ParquetCodec.allCases.filter(\.isSupported).count == 6)
    }
}
