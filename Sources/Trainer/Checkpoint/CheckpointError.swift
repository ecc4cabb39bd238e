// Errors of checkpoint reading and writing: which checkpoint, which file, what was expected.

/// A checkpoint that cannot be used, and why.
public enum CheckpointError: Error, CustomStringConvertible {
    case missingFile(path: String)
    case checksumMismatch(path: String, expected: String, found: String)
    case sizeMismatch(path: String, expected: Int, found: Int)
    case malformed(path: String, reason: String)
    case incompatible(path: String, reason: String)
    case noValidCheckpoint(directory: String, rejected: [String])

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "checkpoint file \(path) is missing; the checkpoint is incomplete"
        case .checksumMismatch(let path, let expected, let found):
            return "checkpoint file \(path): checksum \(found), expected \(expected); the file is corrupt"
        case .sizeMismatch(let path, let expected, let found):
            return
                "checkpoint file \(path): \(found) bytes, expected \(expected); the file is truncated or corrupt"
        case .malformed(let path, let reason):
            return "checkpoint \(path): \(reason)"
        case .incompatible(let path, let reason):
            return "checkpoint \(path) does not fit this run: \(reason)"
        case .noValidCheckpoint(let directory, let rejected):
            return "no usable checkpoint in \(directory): " + rejected.joined(separator: "; ")
                + "; start without --resume or point --resume at a good checkpoint"
        }
    }
}
