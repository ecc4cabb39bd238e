// Errors raised by the MPI layer: the failing call, MPI's own message, and a hint.

/// An MPI call that returned an error code, or a collective used with inconsistent arguments.
public enum CollectiveError: Error, CustomStringConvertible {
    /// `call` returned `code`; `message` is `MPI_Error_string` of it.
    case mpi(call: String, code: Int32, message: String)
    /// Arguments that cannot work (for example buffers not divisible into equal slices).
    case invalidArgument(call: String, reason: String)
    /// Rank 0 failed in work it did alone (`Communicator.rootFirst`); `message` is its error.
    case rootFailed(message: String)

    public var description: String {
        switch self {
        case .mpi(let call, let code, let message):
            return "\(call) failed with MPI error \(code): \(message)"
        case .invalidArgument(let call, let reason):
            return "\(call): \(reason)"
        case .rootFailed(let message):
            return "rank 0 failed: \(message)"
        }
    }
}
