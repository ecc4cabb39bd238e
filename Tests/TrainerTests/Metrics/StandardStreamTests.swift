// Writes to the standard streams: all the text on a stream that is read, and no stall on a
// non-blocking stream nobody reads (mpirun's grace period), where the rest is dropped.
import Foundation
import Testing
import Trainer

#if canImport(Glibc)
    import Glibc
#endif

struct StandardStreamTests {
    @Test func everythingArrivesOnAStreamThatIsRead() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let text = String(repeating: "step 12 | loss 0.25\n", count: 100)
        StandardStream.write(text, to: ends[1])
        close(ends[1])
        let read = FileHandle(fileDescriptor: ends[0]).readDataToEndOfFile()
        #expect(String(decoding: read, as: UTF8.self) == text)
    }

    @Test func aFullNonBlockingStreamDropsTheRestWithoutStalling() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer {
            close(ends[0])
            close(ends[1])
        }
        _ = fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK)
        let capacity = Int(fcntl(ends[1], 1032))  // F_GETPIPE_SZ (Linux), not exported to Swift
        let start = ContinuousClock.now
        StandardStream.write(String(repeating: "x", count: capacity + 4096), to: ends[1])
        StandardStream.write("a line after the stream filled\n", to: ends[1])
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .seconds(2))  // two waits of at most 200 ms each, not a hang
        var available: Int32 = 0
        _ = ioctl(ends[0], UInt(FIONREAD), &available)
        #expect(Int(available) == capacity)
    }
}
