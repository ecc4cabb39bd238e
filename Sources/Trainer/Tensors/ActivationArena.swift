// One allocation for everything forward saves for backward plus the backward scratch, sized once
// for (B, S, T). Built in two passes: the first counts, the second hands out pointers.

/// Hands out 64-byte aligned slices of one Float allocation; with no base it only counts.
struct ArenaBuilder {
    let base: UnsafeMutablePointer<Float>?
    private(set) var used = 0
    /// Never dereferenced: stands in for every slice while counting.
    private static let counting = UnsafeMutablePointer<Float>(bitPattern: 64)!

    init(base: UnsafeMutablePointer<Float>?) { self.base = base }

    /// A slice of `count` Floats.
    mutating func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        defer { used += (count + 15) / 16 * 16 }
        guard let base else { return Self.counting }
        return base + used
    }

    /// Hands out the slices from `mark` (an earlier `used`) again: what follows reuses that memory.
    mutating func rewind(to mark: Int) {
        precondition(mark >= 0 && mark <= used, "rewind to \(mark) past \(used)")
        used = mark
    }

    /// Skips ahead to `mark` when it lies beyond `used` (the end of the larger of two slice sets
    /// that share memory after a `rewind`).
    mutating func advance(to mark: Int) { used = max(used, mark) }

    /// Saved values of a norm site over (rows, width); `out` is `input` when the norm is not applied.
    mutating func norm(
        _ tensors: NormTensors, rows: Int, width: Int, input: UnsafeMutablePointer<Float>,
        out: UnsafeMutablePointer<Float>? = nil
    ) -> NormActivations {
        guard tensors.isApplied else { return NormActivations(out: input, mean: input, rstd: input) }
        return NormActivations(out: out ?? take(rows * width), mean: take(rows), rstd: take(rows))
    }
}

/// The arena: one owned allocation.
final class ActivationArena {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }
}
