// The TensorBoard event file parsed back: TFRecord framing, both masked CRC32Cs, and the
// Event/Summary protobuf fields and values.
import Foundation
import Testing

@testable import Trainer

/// A decoded protobuf field (shared with the image-summary tests): varint, fixed64, fixed32 or length-delimited bytes.
enum Field: Equatable {
    case varint(UInt64), fixed64(UInt64), fixed32(UInt32), bytes(Data)
}

/// Decodes one protobuf message into (field number, value) pairs; nil when malformed.
func decodeMessage(_ data: Data) -> [(Int, Field)]? {
    let bytes = [UInt8](data)
    var i = 0
    func varint() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while i < bytes.count {
            let byte = bytes[i]
            i += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        return nil
    }
    func little<T: FixedWidthInteger>(_: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard i + size <= bytes.count else { return nil }
        var value: T = 0
        for k in 0..<size { value |= T(bytes[i + k]) << (8 * k) }
        i += size
        return value
    }
    var fields: [(Int, Field)] = []
    while i < bytes.count {
        guard let key = varint() else { return nil }
        let number = Int(key >> 3)
        switch key & 7 {
        case 0: guard let v = varint() else { return nil }; fields.append((number, .varint(v)))
        case 1: guard let v = little(UInt64.self) else { return nil }; fields.append((number, .fixed64(v)))
        case 5: guard let v = little(UInt32.self) else { return nil }; fields.append((number, .fixed32(v)))
        case 2:
            guard let length = varint(), i + Int(length) <= bytes.count else { return nil }
            fields.append((number, .bytes(Data(bytes[i..<i + Int(length)]))))
            i += Int(length)
        default: return nil
        }
    }
    return fields
}

/// Splits a TFRecord file into payloads, checking both CRCs of every record.
func readRecords(_ data: Data) throws -> [Data] {
    let bytes = [UInt8](data)
    var records: [Data] = []
    var i = 0
    func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
    while i < bytes.count {
        try #require(i + 12 <= bytes.count)
        let length = Int((0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[i + $1]) << (8 * $1) })
        #expect(u32(i + 8) == CRC32C.masked(CRC32C.checksum(bytes[i..<i + 8])), "length CRC")
        try #require(i + 12 + length + 4 <= bytes.count)
        let payload = Data(bytes[i + 12..<i + 12 + length])
        #expect(u32(i + 12 + length) == CRC32C.masked(CRC32C.checksum(payload)), "data CRC")
        records.append(payload)
        i += 12 + length + 4
    }
    return records
}

struct TensorBoardTests {
    @Test func crc32cKnownVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)  // RFC 3720 B.4
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.masked(0) == 0xA282_EAD8)
    }

    @Test func eventFileParsesBack() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tb-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let writer = try TensorBoardWriter(
            directory: directory, isActive: true, wallTime: 1_700_000_000.25, hostName: "node7")
        let url = try #require(writer.url)
        #expect(url.lastPathComponent == "events.out.tfevents.1700000000.node7")
        #expect(url.deletingLastPathComponent().lastPathComponent == "tensorboard")
        try writer.add(
            [(tag: "train/loss", value: 5.5), (tag: "train/learning_rate", value: 1e-3)], step: 300,
            wallTime: 1_700_000_010.5)
        try writer.add(
            MetricsRecord(
                step: 310, epoch: 1, samples: 4960, loss: 5.25, evalLoss: 5.75, learningRate: 2e-4,
                gradNorm: 0.75, tokensPerSecond: 1000, trainTime: 9), wallTime: 1_700_000_011)

        let records = try readRecords(try Data(contentsOf: url))
        try #require(records.count == 3)
        let version = try #require(decodeMessage(records[0]))
        #expect(version[0].0 == 1 && version[0].1 == .fixed64(Double(1_700_000_000.25).bitPattern))
        #expect(version[1].0 == 3 && version[1].1 == .bytes(Data("brain.Event:2".utf8)))

        let event = try #require(decodeMessage(records[1]))
        #expect(event.map(\.0) == [1, 2, 5])
        #expect(event[0].1 == .fixed64(Double(1_700_000_010.5).bitPattern))
        #expect(event[1].1 == .varint(300))
        guard case .bytes(let summary) = event[2].1 else { Issue.record("summary is not a message"); return }
        let values = try #require(decodeMessage(summary))
        #expect(values.count == 2 && values.allSatisfy { $0.0 == 1 })
        var decoded: [String: Float] = [:]
        for (_, value) in values {
            guard case .bytes(let message) = value, let fields = decodeMessage(message), fields.count == 2,
                case .bytes(let tag) = fields[0].1, fields[0].0 == 1,
                case .fixed32(let bits) = fields[1].1, fields[1].0 == 2
            else {
                Issue.record("malformed Summary.Value")
                continue
            }
            decoded[String(decoding: tag, as: UTF8.self)] = Float(bitPattern: bits)
        }
        #expect(decoded == ["train/loss": 5.5, "train/learning_rate": Float(1e-3)])

        let fromRecord = try #require(decodeMessage(records[2]))
        guard case .bytes(let recordSummary) = fromRecord[2].1 else { Issue.record("no summary"); return }
        let tags = try #require(decodeMessage(recordSummary)).compactMap { entry -> String? in
            guard case .bytes(let message) = entry.1, case .bytes(let tag)? = decodeMessage(message)?.first?.1
            else { return nil }
            return String(decoding: tag, as: UTF8.self)
        }
        #expect(
            tags.contains("train/loss") && tags.contains("eval/loss") && tags.contains("train/time/forward"))
    }

    @Test func inactiveWriterCreatesNothing() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tb-\(UUID().uuidString)")
        let writer = try TensorBoardWriter(directory: directory, isActive: false)
        try writer.add([(tag: "train/loss", value: 1)], step: 1)
        #expect(writer.url == nil && !FileManager.default.fileExists(atPath: directory.path))
    }
}
