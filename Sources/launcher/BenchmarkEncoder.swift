// The caption encoder `bench-reader` measures with.
import Foundation
import Shards

/// TODO(#4): return `try BartTokenizer.bundled()` once the BART tokenizer is merged; until then
/// a byte-level encoder (`<s>`, UTF-8 bytes + 4, `</s>`, `<pad>`) stands in, and the report says so.
func benchmarkEncoder() throws -> (any CaptionEncoder, String) {
    (ByteLevelEncoder(), "byte-level stand-in (not BART)")
}

/// Byte-level ids with BART's special ids: `<s>`=0, `<pad>`=1, `</s>`=2, byte b -> b + 4.
struct ByteLevelEncoder: CaptionEncoder {
    var vocabularySize: Int { 260 }

    func encode(_ caption: String, maxLength: Int) -> EncodedText {
        var ids = [Int32](repeating: 1, count: maxLength)
        var mask = [Int32](repeating: 0, count: maxLength)
        ids[0] = 0
        var count = 1
        for byte in caption.utf8.prefix(maxLength - 2) {
            ids[count] = Int32(byte) + 4
            count += 1
        }
        ids[count] = 2
        for i in 0...count { mask[i] = 1 }
        return EncodedText(inputIDs: ids, attentionMask: mask)
    }
}
