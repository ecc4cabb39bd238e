// Errors raised while loading a Hugging Face tokenizer directory: each names the file and a fix.

/// A tokenizer directory that cannot be loaded: missing or malformed files, inconsistent vocabularies.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// The bundled tokenizer resource is not in the built product.
    case bundleMissing
    /// A required file does not exist (or the directory itself does not).
    case missingFile(path: String)
    /// A file exists but could not be read.
    case unreadable(path: String, reason: String)
    /// A JSON file does not have the expected shape.
    case malformedJSON(path: String, reason: String)
    /// `merges.txt` has a line that is not two tokens separated by one space, or names unknown tokens.
    case malformedMerges(path: String, line: Int, reason: String)
    /// A setting this implementation does not support.
    case unsupported(path: String, setting: String)
    /// A token the tokenizer needs (a byte symbol or a special token) is not in `vocab.json`.
    case missingToken(path: String, token: String)

    public var description: String {
        switch self {
        case .bundleMissing:
            return "tokenizer: the bundled BART tokenizer (Resources/bart) is missing from the build; "
                + "hint: rebuild the package, or pass --tokenizer DIR"
        case .missingFile(let path):
            return "tokenizer file \(path): not found; "
                + "hint: a tokenizer directory needs vocab.json and merges.txt (Hugging Face format)"
        case .unreadable(let path, let reason):
            return "tokenizer file \(path): cannot be read (\(reason)); hint: check permissions"
        case .malformedJSON(let path, let reason):
            return "tokenizer file \(path): malformed JSON (\(reason)); "
                + "hint: re-export the tokenizer with save_pretrained()"
        case .malformedMerges(let path, let line, let reason):
            return "tokenizer file \(path) line \(line): \(reason); "
                + "hint: merges.txt is a '#version' header then one 'left right' merge per line"
        case .unsupported(let path, let setting):
            return "tokenizer file \(path): \(setting) is not supported; "
                + "hint: use a BART/GPT-2 byte-level tokenizer without that setting"
        case .missingToken(let path, let token):
            return "tokenizer file \(path): token \(Self.quoted(token)) is not in the vocabulary; "
                + "hint: vocab.json must hold all 256 byte symbols and every special token"
        }
    }

    /// The token with its scalars escaped when they are invisible.
    static func quoted(_ token: String) -> String {
        "\"" + token.unicodeScalars.map { $0.escaped(asASCII: true) }.joined() + "\""
    }
}
