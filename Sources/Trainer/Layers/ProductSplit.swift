// How a matrix product is split over the rank's threads so that the thread count never changes a
// result (docs/THREADS.md): tall products into ranges of rows whose boundaries are multiples of 48,
// which OpenBLAS computes bit for bit as the unsplit product, one range per thread; short and wide
// ones (weight gradients) into column ranges fixed by the shape alone, at every thread count.

/// Parts of a product's output C (rows x columns), each one sgemm over the whole inner dimension.
struct ProductSplit {
    /// Row boundaries fall on multiples of this: a multiple of every row unroll of OpenBLAS's
    /// single-precision kernels (16 or 24 on x86-64), so each part's rows fill the same kernel
    /// tiles as in the unsplit product. `WorkerPoolTests` checks the identity on this OpenBLAS.
    static let rowAlignment = 48
    /// Products with fewer rows are split by columns (row ranges of 48 would balance badly).
    static let tallRows = 512
    /// Column parts of a short product: at most this many, each at least `minimumColumns` wide.
    /// Every column part repacks the left operand, so this is a cost at any thread count.
    static let maximumColumnParts = 4
    static let minimumColumns = 128
    /// Products smaller than this (2 x rows x columns x inner FLOPs, ~0.1 ms on one core) run
    /// in one call: splitting would cost more than it saves.
    static let minimumFLOPs = 8 << 20

    let parts: Int
    let alongRows: Bool
    private let length: Int

    /// Row parts: one per thread. Column parts: from the shape only.
    init(rows: Int, columns: Int, inner: Int, threads: Int) {
        let worthSplitting = 2 * rows * columns * inner >= Self.minimumFLOPs
        alongRows = rows >= Self.tallRows
        length = alongRows ? rows : columns
        if !worthSplitting {
            parts = 1
        } else if alongRows {
            parts = max(1, min(threads, rows / Self.rowAlignment))
        } else {
            parts = max(1, min(Self.maximumColumnParts, columns / Self.minimumColumns))
        }
    }

    /// The rows (or columns) of `part`.
    func range(of part: Int) -> Range<Int> {
        guard alongRows else { return length * part / parts..<length * (part + 1) / parts }
        let blocks = (length + Self.rowAlignment - 1) / Self.rowAlignment
        func start(_ p: Int) -> Int { min(length, blocks * p / parts * Self.rowAlignment) }
        return start(part)..<(part == parts - 1 ? length : start(part + 1))
    }
}
