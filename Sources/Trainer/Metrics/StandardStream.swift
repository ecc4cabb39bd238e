// Writes to standard output and error that never stall the process: under mpirun the streams
// turn non-blocking at a stop signal (see StopSignals), and a full stream then drops text.
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Text output to the standard streams for messages and progress.
public enum StandardStream {
    /// How long a full stream may hold a write before the rest of the text is dropped.
    static let stallMilliseconds: Int32 = 200

    /// Writes `text` to standard output.
    public static func out(_ text: String) { write(text, to: STDOUT_FILENO) }

    /// Writes `text` to standard error.
    public static func error(_ text: String) { write(text, to: STDERR_FILENO) }

    /// Writes all of `text` to `descriptor`, retrying interrupted writes. On a non-blocking
    /// stream that stays full for `stallMilliseconds`, the rest is dropped: a launcher that has
    /// stopped reading must not hold up a checkpoint.
    public static func write(_ text: String, to descriptor: Int32) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                var request = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                guard poll(&request, 1, stallMilliseconds) > 0 else { return }
            } else {
                return  // closed or failed: nothing more can be shown
            }
        }
    }
}
