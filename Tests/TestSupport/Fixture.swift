// Locates the reference fixtures. They come from the real dalle-mini Flax model and the real
// Hugging Face BART tokenizer; see ../shared/fixtures/*/README.md for how they were produced.
import Foundation

/// Paths of the shared reference fixtures (data, not code).
public enum Fixture {
    /// The repository root (the directory holding Package.swift).
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// `../shared/fixtures` next to the repository, or `$DALLE_TRAIN_FIXTURES` when set.
    public static var root: URL {
        if let override = ProcessInfo.processInfo.environment["DALLE_TRAIN_FIXTURES"] {
            return URL(fileURLWithPath: override)
        }
        return repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures")
    }

    /// A fixture directory, e.g. `directory("dallebart/tiny-A")`.
    public static func directory(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }
}
