// Broadcast from any root, barrier, and gathering small per-rank byte blobs to the root.
import CMPI

extension Communicator {
    /// Copies `root`'s `buffer` into every rank's `buffer` (same count on every rank).
    public func broadcast<T: CollectiveElement>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int = 0) throws
    {
        guard let base = buffer.baseAddress else { return }
        for piece in chunks(count: buffer.count) {
            try check(
                MPI_Bcast(base + piece.start, Int32(piece.count), T.mpiDatatype, Int32(root), comm),
                "MPI_Bcast")
        }
    }

    /// Broadcasts an array whose length only `root` needs to know; returns root's array on every rank.
    public func broadcast<T: CollectiveElement & Numeric>(_ array: [T], root: Int = 0) throws -> [T] {
        var count = Int64(array.count)
        try withUnsafeMutablePointer(to: &count) {
            try broadcast(UnsafeMutableBufferPointer(start: $0, count: 1), root: root)
        }
        var result = rank == root ? array : [T](repeating: 0, count: Int(count))
        try result.withUnsafeMutableBufferPointer { try broadcast($0, root: root) }
        return result
    }

    /// Blocks until every rank has entered the barrier.
    public func barrier() throws {
        try check(MPI_Barrier(comm), "MPI_Barrier")
    }

    /// Gathers one byte blob per rank (sizes may differ) to `root`. Returns the blobs indexed
    /// by rank on `root` and an empty array elsewhere.
    public func gather(_ blob: [UInt8], root: Int = 0) throws -> [[UInt8]] {
        guard blob.count <= maximumCallCount else {
            throw CollectiveError.invalidArgument(
                call: "gather", reason: "blob of \(blob.count) bytes is too large")
        }
        var counts = [Int32](repeating: 0, count: worldSize)
        var myCount = Int32(blob.count)
        try check(
            MPI_Gather(&myCount, 1, cmpi_int32(), &counts, 1, cmpi_int32(), Int32(root), comm), "MPI_Gather")
        var displacements = [Int32](repeating: 0, count: worldSize)
        var total = 0
        if rank == root {
            for r in 0..<worldSize {
                guard total <= maximumCallCount else {
                    throw CollectiveError.invalidArgument(
                        call: "gather", reason: "blobs exceed 2 GiB in total")
                }
                displacements[r] = Int32(total)
                total += Int(counts[r])
            }
        }
        var received = [UInt8](repeating: 0, count: max(total, 1))
        var sendCopy = blob.isEmpty ? [0] : blob
        try check(
            MPI_Gatherv(
                &sendCopy, myCount, cmpi_byte(), &received, &counts, &displacements, cmpi_byte(),
                Int32(root), comm),
            "MPI_Gatherv")
        guard rank == root else { return [] }
        return (0..<worldSize).map { r in
            let start = Int(displacements[r])
            return Array(received[start..<start + Int(counts[r])])
        }
    }
}
