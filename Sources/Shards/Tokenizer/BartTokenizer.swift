// BART's tokenizer (GPT-2 byte-level BPE with RoBERTa ids), bit-identical to Hugging Face's
// `BartTokenizerFast`: special tokens first, GPT-2 pre-tokenization, BPE, `<s> ... </s>`, padding.
import Foundation

/// The BART text tokenizer dalle-mini uses, loaded from a Hugging Face tokenizer directory.
///
/// A value is cheap to copy and safe to use from several threads: copies share one
/// lock-protected cache of the ids of words already seen.
public struct BartTokenizer: CaptionEncoder {
    let model: BPEModel
    let specialTokens: SpecialTokenMatcher
    let cache: BPECache
    /// `<s>`, prepended by `encode`.
    public let beginID: Int32
    /// `</s>`, appended by `encode` after truncation.
    public let endID: Int32
    /// `<pad>`, filling `encode`'s output up to the requested length.
    public let padID: Int32
    /// Number of ids in the vocabulary (largest id + 1): 50265 for BART.
    public let vocabularySize: Int

    /// Loads `vocab.json` and `merges.txt` from `directory`, plus `special_tokens_map.json` and
    /// `tokenizer_config.json` when present (without them, BART's defaults: `<mask>` strips left).
    ///
    /// - Throws: `TokenizerError` naming the file that is missing or malformed.
    public init(directory: URL) throws {
        let files = try TokenizerFiles.load(directory: directory)
        model = files.model
        specialTokens = SpecialTokenMatcher(files.specialTokens)
        cache = BPECache()
        beginID = files.beginID
        endID = files.endID
        padID = files.padID
        vocabularySize = files.vocabularySize
    }

    /// The BART tokenizer shipped with dalle-train (`Shards.bundledTokenizerDirectory`).
    public static func bundled() throws -> BartTokenizer {
        guard let directory = Shards.bundledTokenizerDirectory else { throw TokenizerError.bundleMissing }
        return try BartTokenizer(directory: directory)
    }

    /// The BPE ids of `text` with no `<s>`/`</s>`, no truncation and no padding
    /// (`tokenizer(text, add_special_tokens=False)`); special-token literals in the text still
    /// become their ids.
    public func ids(_ text: String) -> [Int32] {
        ids(text, limit: Int.max)
    }

    /// The first `limit` ids of `ids(text)`, without tokenizing beyond them.
    public func ids(_ text: String, limit: Int) -> [Int32] {
        var output: [Int32] = []
        guard limit > 0 else { return output }
        var text = text
        text.withUTF8 { bytes in
            output.reserveCapacity(min(limit, bytes.count / 3 + 4))
            specialTokens.forEachSegment(in: bytes) { segment in
                switch segment {
                case .special(let id):
                    output.append(id)
                case .text(let range):
                    PreTokenizer.forEachPiece(in: bytes, range: range) { piece in
                        cache.append(UnsafeBufferPointer(rebasing: bytes[piece]), model: model, to: &output)
                        return output.count < limit
                    }
                }
                return output.count < limit
            }
        }
        if output.count > limit { output.removeLast(output.count - limit) }
        return output
    }

    /// `<s>`, the first `maxLength - 2` ids of `caption`, `</s>`, then `<pad>` up to `maxLength`;
    /// the attention mask is 1 over `<s> ... </s>` (even on a literal `<pad>` in the text), 0 after.
    /// Equals `tokenizer(caption, max_length=maxLength, truncation=True, padding="max_length")`.
    public func encode(_ caption: String, maxLength: Int) -> EncodedText {
        precondition(maxLength >= 2, "encode: maxLength \(maxLength) leaves no room for <s> and </s>")
        let content = ids(caption, limit: maxLength - 2)
        var inputIDs: [Int32] = []
        inputIDs.reserveCapacity(maxLength)
        inputIDs.append(beginID)
        inputIDs.append(contentsOf: content)
        inputIDs.append(endID)
        let realCount = inputIDs.count
        inputIDs.append(contentsOf: repeatElement(padID, count: maxLength - realCount))
        var attentionMask = [Int32](repeating: 0, count: maxLength)
        for i in 0..<realCount { attentionMask[i] = 1 }
        return EncodedText(inputIDs: inputIDs, attentionMask: attentionMask)
    }
}
