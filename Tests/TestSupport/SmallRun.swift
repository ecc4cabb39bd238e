// A model and run settings small enough for training-loop tests (steps in milliseconds):
// the bytebpe-512 fixture tokenizer, 8x8 synthetic code grids, d_model 32.
import Foundation

/// Files and settings for fast end-to-end training runs in tests.
public enum SmallRun {
    /// dalle-mini config.json keys of the test model (encoder vocabulary = bytebpe-512).
    public static let configJSON = """
        {"encoder_vocab_size": 512, "image_vocab_size": 64, "image_length": 64, "max_text_length": 16,
         "d_model": 32, "encoder_layers": 1, "decoder_layers": 1, "encoder_attention_heads": 2,
         "decoder_attention_heads": 2, "encoder_ffn_dim": 64, "decoder_ffn_dim": 64,
         "dropout": 0.1, "attention_dropout": 0.1, "activation_dropout": 0.0}
        """

    /// Writes the test model's config.json into `directory` (one file per rank, so ranks never
    /// race on it) and returns its path.
    public static func writeConfig(in directory: URL, rank: Int) throws -> String {
        let url = directory.appendingPathComponent("model-config-\(rank).json")
        try Data(configJSON.utf8).write(to: url)
        return url.path
    }

    /// The small BPE tokenizer from the fixtures (512 ids).
    public static var tokenizerPath: String { Fixture.directory("tokenizer/bytebpe-512").path }
}
