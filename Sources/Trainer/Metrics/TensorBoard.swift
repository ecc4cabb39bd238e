// TensorBoard event files written by hand: TFRecord framing with masked CRC32C, and the
// `Event`/`Summary` protobuf messages encoded field by field. Not here: metrics.jsonl.
import Foundation

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven, as TFRecord uses.
public enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { byte in
        var crc = UInt32(byte)
        for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    /// The CRC-32C of `bytes` (`checksum("123456789".utf8) == 0xE3069283`).
    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return ~crc
    }

    /// TFRecord's masked form: rotate right by 15, add 0xa282ead8.
    public static func masked(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}

/// The few protobuf encodings an `Event` needs (proto3 wire format).
enum Protobuf {
    static func varint(_ value: UInt64, into data: inout Data) {
        var value = value
        while value >= 0x80 {
            data.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        data.append(UInt8(value))
    }

    /// Field key: number << 3 | wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32).
    static func key(_ field: UInt64, _ wireType: UInt64, into data: inout Data) {
        varint(field << 3 | wireType, into: &data)
    }

    static func double(_ field: UInt64, _ value: Double, into data: inout Data) {
        key(field, 1, into: &data)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
    }

    static func float(_ field: UInt64, _ value: Float, into data: inout Data) {
        key(field, 5, into: &data)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
    }

    static func int64(_ field: UInt64, _ value: Int64, into data: inout Data) {
        key(field, 0, into: &data)
        varint(UInt64(bitPattern: value), into: &data)
    }

    static func bytes(_ field: UInt64, _ value: Data, into data: inout Data) {
        key(field, 2, into: &data)
        varint(UInt64(value.count), into: &data)
        data.append(value)
    }
}

/// Writes `<output_dir>/tensorboard/events.out.tfevents.<unix time>.<host>`, readable by
/// TensorBoard: a first `Event{wall_time, file_version: "brain.Event:2"}`, then one
/// `Event{wall_time, step, summary{value{tag, simple_value}}}` per call. Each record is
/// `u64 length, masked CRC32C(length), data, masked CRC32C(data)`, little-endian, and goes to
/// the kernel in one `write`. Only the instance made with `isActive` (rank 0) writes.
public final class TensorBoardWriter {
    /// Whether this rank writes.
    public let isActive: Bool
    /// The event file, when active.
    public let url: URL?
    private let handle: FileHandle?

    /// Creates the event file in `directory/tensorboard` and writes the version event.
    public init(
        directory: URL, isActive: Bool, wallTime: Double = Date().timeIntervalSince1970,
        hostName: String = ProcessInfo.processInfo.hostName
    ) throws {
        self.isActive = isActive
        guard isActive else {
            url = nil
            handle = nil
            return
        }
        let name = "events.out.tfevents.\(Int(wallTime)).\(hostName.isEmpty ? "localhost" : hostName)"
        let url = directory.appendingPathComponent("tensorboard").appendingPathComponent(name)
        self.url = url
        let handle = try MetricsLog.openForAppending(url)
        self.handle = handle
        try MetricsLog.write(Self.record(Self.versionEvent(wallTime: wallTime)), to: handle, path: url.path)
    }

    deinit { try? handle?.close() }

    /// One event holding `scalars` (tag, value) at `step`; values are stored as float32
    /// (`simple_value`). Nothing happens when inactive.
    public func add(
        _ scalars: [(tag: String, value: Double)], step: Int, wallTime: Double = Date().timeIntervalSince1970
    ) throws {
        guard let handle, let url, !scalars.isEmpty else { return }
        let event = Self.scalarEvent(scalars, step: step, wallTime: wallTime)
        try MetricsLog.write(Self.record(event), to: handle, path: url.path)
    }

    /// Marks a (re)start at `step`: TensorBoard discards the events of steps at or after it from
    /// earlier files of the run (its `SessionLog.START` purge), so a resumed run's plots hold every
    /// step once. Nothing happens when inactive.
    public func startSession(atStep step: Int, wallTime: Double = Date().timeIntervalSince1970) throws {
        try append(event: Self.sessionStartEvent(step: step, wallTime: wallTime))
    }

    /// `Event` field 6 is `session_log`; `SessionLog.status` (field 1) START is 1.
    static func sessionStartEvent(step: Int, wallTime: Double) -> Data {
        var sessionLog = Data()
        Protobuf.int64(1, 1, into: &sessionLog)
        var event = Data()
        Protobuf.double(1, wallTime, into: &event)
        Protobuf.int64(2, Int64(step), into: &event)
        Protobuf.bytes(6, sessionLog, into: &event)
        return event
    }

    /// Appends one serialized `Event` (nothing happens when inactive).
    func append(event: Data) throws {
        guard let handle, let url else { return }
        try MetricsLog.write(Self.record(event), to: handle, path: url.path)
    }

    /// A metrics line's scalars under `train/…` (and `eval/loss`).
    public func add(_ record: MetricsRecord, wallTime: Double = Date().timeIntervalSince1970) throws {
        let scalars = record.scalars.map {
            (tag: $0.name == "eval_loss" ? "eval/loss" : "train/\($0.name)", value: $0.value)
        }
        try add(scalars, step: record.step, wallTime: wallTime)
    }

    /// `Event` field numbers: 1 wall_time (double), 2 step (int64), 3 file_version, 5 summary.
    static func versionEvent(wallTime: Double) -> Data {
        var event = Data()
        Protobuf.double(1, wallTime, into: &event)
        Protobuf.bytes(3, Data("brain.Event:2".utf8), into: &event)
        return event
    }

    /// `Summary.value` is field 1; `Summary.Value`: 1 tag, 2 simple_value (float).
    static func scalarEvent(_ scalars: [(tag: String, value: Double)], step: Int, wallTime: Double) -> Data {
        var summary = Data()
        for scalar in scalars {
            var value = Data()
            Protobuf.bytes(1, Data(scalar.tag.utf8), into: &value)
            Protobuf.float(2, Float(scalar.value), into: &value)
            Protobuf.bytes(1, value, into: &summary)
        }
        return summaryEvent(summary, step: step, wallTime: wallTime)
    }

    /// An `Event` carrying a serialized `Summary` at `step`.
    static func summaryEvent(_ summary: Data, step: Int, wallTime: Double) -> Data {
        var event = Data()
        Protobuf.double(1, wallTime, into: &event)
        Protobuf.int64(2, Int64(step), into: &event)
        Protobuf.bytes(5, summary, into: &event)
        return event
    }

    /// TFRecord framing of one serialized message.
    static func record(_ payload: Data) -> Data {
        var length = Data()
        withUnsafeBytes(of: UInt64(payload.count).littleEndian) { length.append(contentsOf: $0) }
        var framed = length
        withUnsafeBytes(of: CRC32C.masked(CRC32C.checksum(length)).littleEndian) {
            framed.append(contentsOf: $0)
        }
        framed.append(payload)
        withUnsafeBytes(of: CRC32C.masked(CRC32C.checksum(payload)).littleEndian) {
            framed.append(contentsOf: $0)
        }
        return framed
    }
}
