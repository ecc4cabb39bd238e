// One contiguous Float allocation: parameters, gradients and optimizer moments each live in one.
import Collective

/// Owns `count` Floats, allocated once, zero-initialized, freed in `deinit`.
/// Views into it come from a `ParameterLayout` (name -> offset, shape).
public final class FlatBuffer: @unchecked Sendable {
    /// Number of Floats.
    public let count: Int
    /// The storage; valid for the lifetime of the buffer.
    public let pointer: UnsafeMutablePointer<Float>
    /// The rank-shared memory this buffer lives in, when it came from `init(shared:)`:
    /// `DataParallel` then runs its collectives in shared memory.
    public let shared: SharedFloatBuffer?

    /// Allocates `count` zeroed Floats (64-byte aligned for vector loads).
    public init(count: Int) {
        precondition(count >= 0, "FlatBuffer count \(count) must not be negative")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
        shared = nil
    }

    /// Wraps a buffer from `Communicator.allocateShared` (zeroed), keeping it alive.
    public init(shared: SharedFloatBuffer) {
        count = shared.count
        pointer = shared.pointer
        self.shared = shared
    }

    deinit {
        if shared == nil { pointer.deallocate() }
    }

    /// The whole buffer as a mutable buffer pointer (for collectives and I/O).
    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    /// Sets every element to zero.
    public func zero() { pointer.update(repeating: 0, count: count) }

    /// Copies all elements from `other` (same count).
    public func copy(from other: FlatBuffer) {
        precondition(other.count == count, "FlatBuffer copy: \(other.count) elements into \(count)")
        pointer.update(from: other.pointer, count: count)
    }

    /// The elements as an array (tests and small dumps).
    public func toArray() -> [Float] { Array(buffer) }
}
