// Byte-level BPE over token ids: merge ranks keyed by id pairs, and a thread-safe per-piece cache.
import Foundation

/// The merge table of a byte-level BPE model, working on ids instead of strings.
struct BPEModel: Sendable {
    /// Id of the single-byte token of each byte.
    let byteIDs: [Int32]
    /// `(left << 32 | right)` -> `(rank << 32 | merged id)`; lower rank merges first.
    let merges: [UInt64: UInt64]

    @inline(__always)
    static func pairKey(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Appends the ids of one pre-tokenized piece to `output`: start from one token per byte, then
    /// repeatedly merge every occurrence (left to right) of the adjacent pair of lowest rank.
    func encode(_ piece: UnsafeBufferPointer<UInt8>, into output: inout [Int32]) {
        var symbols = piece.map { byteIDs[Int($0)] }
        while symbols.count > 1 {
            // Ranks are distinct, so comparing whole values compares ranks.
            var best = UInt64.max
            var bestIndex = -1
            for i in 0..<(symbols.count - 1) {
                if let value = merges[Self.pairKey(symbols[i], symbols[i + 1])], value < best {
                    best = value
                    bestIndex = i
                }
            }
            if bestIndex < 0 { break }
            let left = symbols[bestIndex]
            let right = symbols[bestIndex + 1]
            let merged = Int32(truncatingIfNeeded: best & 0xFFFF_FFFF)
            var write = bestIndex
            var read = bestIndex
            while read < symbols.count {
                if read + 1 < symbols.count && symbols[read] == left && symbols[read + 1] == right {
                    symbols[write] = merged
                    read += 2
                } else {
                    symbols[write] = symbols[read]
                    read += 1
                }
                write += 1
            }
            symbols.removeLast(symbols.count - write)
        }
        output.append(contentsOf: symbols)
    }
}

/// Remembers the ids of pieces already encoded. A lock makes one cache safe to share between
/// threads (a background reader and the training thread may hold copies of one tokenizer).
final class BPECache: @unchecked Sendable {
    /// Pieces of at most 16 bytes, packed into two words (no allocation per lookup).
    struct ShortKey: Hashable {
        var low: UInt64
        var high: UInt64
        var count: Int

        init(_ piece: UnsafeBufferPointer<UInt8>) {
            var words: (UInt64, UInt64) = (0, 0)
            withUnsafeMutableBytes(of: &words) { raw in
                raw.copyMemory(from: UnsafeRawBufferPointer(piece))
            }
            low = words.0
            high = words.1
            count = piece.count
        }
    }

    /// Entries kept per table before it is emptied (bounds memory on endless streams of new words).
    let capacity: Int
    private let lock = NSLock()
    private var short: [ShortKey: [Int32]] = [:]
    private var long: [[UInt8]: [Int32]] = [:]

    init(capacity: Int = 1 << 18) {
        self.capacity = capacity
    }

    /// Appends the ids of `piece` to `output`, from the cache or computed by `model` (then remembered).
    func append(_ piece: UnsafeBufferPointer<UInt8>, model: BPEModel, to output: inout [Int32]) {
        if piece.count <= 16 {
            append(piece, key: ShortKey(piece), table: \.short, model: model, to: &output)
        } else {
            append(piece, key: Array(piece), table: \.long, model: model, to: &output)
        }
    }

    @inline(__always)
    private func append<Key: Hashable>(
        _ piece: UnsafeBufferPointer<UInt8>, key: Key,
        table: ReferenceWritableKeyPath<BPECache, [Key: [Int32]]>, model: BPEModel,
        to output: inout [Int32]
    ) {
        lock.lock()
        let cached = self[keyPath: table][key]
        lock.unlock()
        if let cached {
            output.append(contentsOf: cached)
            return
        }
        let start = output.count
        model.encode(piece, into: &output)
        let ids = Array(output[start...])
        lock.lock()
        if self[keyPath: table].count >= capacity { self[keyPath: table].removeAll(keepingCapacity: true) }
        self[keyPath: table][key] = ids
        lock.unlock()
    }
}
