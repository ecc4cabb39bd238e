// Gathering equal per-rank slices into one buffer on the root, and scattering them back:
// the sharded optimizer's moments for checkpoints. Chunked, so no call exceeds MPI's Int32
// counts and the root's staging buffer stays small.
import CMPI

extension Communicator {
    /// Elements per rank moved by one MPI call.
    static let sliceChunkCount = 1 << 20

    /// Rank r's `slice` (the same count n on every rank) lands at `[r*n, (r+1)*n)` of `full`
    /// on `root`; `full` (at least worldSize * n elements) is only read on the root.
    public func gatherSlices<T: CollectiveElement>(
        _ slice: UnsafeBufferPointer<T>, into full: UnsafeMutableBufferPointer<T>?, root: Int = 0
    ) throws {
        let n = slice.count
        if rank == root {
            guard let full, full.count >= worldSize * n else {
                throw CollectiveError.invalidArgument(call: "gatherSlices", reason: "root buffer too small")
            }
        }
        try forEachChunk(of: n, root: root, element: T.self) { start, count, staging in
            try check(
                MPI_Gather(
                    slice.baseAddress! + start, Int32(count), T.mpiDatatype, staging, Int32(count),
                    T.mpiDatatype,
                    Int32(root), comm),
                "MPI_Gather")
            guard rank == root, let full, let staging else { return }
            let typed = staging.assumingMemoryBound(to: T.self)
            for r in 0..<worldSize {
                (full.baseAddress! + r * n + start).update(from: typed + r * count, count: count)
            }
        }
    }

    /// The inverse of `gatherSlices`: `[r*n, (r+1)*n)` of the root's `full` lands in rank r's `slice`.
    public func scatterSlices<T: CollectiveElement>(
        _ full: UnsafeBufferPointer<T>?, into slice: UnsafeMutableBufferPointer<T>, root: Int = 0
    ) throws {
        let n = slice.count
        if rank == root {
            guard let full, full.count >= worldSize * n else {
                throw CollectiveError.invalidArgument(call: "scatterSlices", reason: "root buffer too small")
            }
        }
        try forEachChunk(of: n, root: root, element: T.self) { start, count, staging in
            if rank == root, let full, let staging {
                let typed = staging.assumingMemoryBound(to: T.self)
                for r in 0..<worldSize {
                    (typed + r * count).update(from: full.baseAddress! + r * n + start, count: count)
                }
            }
            try check(
                MPI_Scatter(
                    staging, Int32(count), T.mpiDatatype, slice.baseAddress! + start, Int32(count),
                    T.mpiDatatype,
                    Int32(root), comm),
                "MPI_Scatter")
        }
    }

    /// Calls `body(start, count, staging)` for consecutive chunks of `n` elements; `staging`
    /// holds worldSize chunks on the root and is nil elsewhere.
    private func forEachChunk<T>(
        of n: Int, root: Int, element: T.Type, _ body: (Int, Int, UnsafeMutableRawPointer?) throws -> Void
    ) throws {
        let chunk = Swift.min(Self.sliceChunkCount, Swift.max(n, 1))
        let staging =
            rank == root
            ? UnsafeMutableRawPointer.allocate(
                byteCount: chunk * worldSize * MemoryLayout<T>.stride, alignment: 64) : nil
        defer { staging?.deallocate() }
        var start = 0
        while start < n {
            let count = Swift.min(chunk, n - start)
            try body(start, count, staging)
            start += count
        }
    }
}
