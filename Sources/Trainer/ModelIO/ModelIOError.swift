// The one error type of model-directory input and output: which file, which tensor (or byte
// offset), and what was expected instead.

/// A model directory, msgpack file or tensor that cannot be read or written.
public struct ModelIOError: Error, CustomStringConvertible, Equatable {
    /// The file at fault.
    public var file: String
    /// The tensor path (`model/encoder/...`) or position the problem was found at, when known.
    public var location: String?
    /// What is wrong and what was expected.
    public var reason: String

    /// An error about `file`, optionally at `location`.
    public init(file: String, location: String? = nil, _ reason: String) {
        self.file = file
        self.location = location
        self.reason = reason
    }

    public var description: String {
        if let location { return "\(file): \(location): \(reason)" }
        return "\(file): \(reason)"
    }
}
