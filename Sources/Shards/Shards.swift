// The data side of dalle-train: tokenizer, shard files, per-rank reading. No MPI here.
import Foundation

/// Namespace for data-side facts shared by the module.
public enum Shards {
    /// Directory of the BART tokenizer that ships with dalle-train (vocab.json, merges.txt, ...).
    public static var bundledTokenizerDirectory: URL? {
        Bundle.module.url(forResource: "bart", withExtension: nil)
    }
}
