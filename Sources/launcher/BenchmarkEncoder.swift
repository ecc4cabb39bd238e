// The caption encoder `bench-reader` measures with.
import Foundation
import Shards

/// The bundled BART tokenizer, so that benchmarks include real tokenization cost.
func benchmarkEncoder() throws -> (any CaptionEncoder, String) {
    (try BartTokenizer.bundled(), "BartTokenizer (bundled)")
}
