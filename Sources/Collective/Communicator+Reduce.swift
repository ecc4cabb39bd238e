// In-place all-reduce, averaging, and reduce-scatter over equal slices.
// Counts above Int32.max are split into several MPI calls.
import CMPI

extension Communicator {
    /// Reduces `buffer` element-wise over all ranks, in place; every rank gets the result.
    public func allReduce<T: CollectiveElement>(_ buffer: UnsafeMutableBufferPointer<T>, _ op: ReduceOp)
        throws
    {
        guard let base = buffer.baseAddress else { return }
        for piece in chunks(count: buffer.count) {
            try check(
                MPI_Allreduce(
                    cmpi_in_place(), base + piece.start, Int32(piece.count), T.mpiDatatype, op.mpiOp, comm),
                "MPI_Allreduce")
        }
    }

    /// Reduces an array in place (convenience over `allReduce(_:_:)` for small buffers).
    public func allReduce<T: CollectiveElement>(_ array: inout [T], _ op: ReduceOp) throws {
        try array.withUnsafeMutableBufferPointer { try allReduce($0, op) }
    }

    /// Reduces one value over all ranks.
    public func allReduce<T: CollectiveElement>(_ value: T, _ op: ReduceOp) throws -> T {
        var array = [value]
        try allReduce(&array, op)
        return array[0]
    }

    /// Sums `buffer` over ranks and divides by `worldSize`: the mean, as `lax.pmean` computes it.
    public func average(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try allReduce(buffer, .sum)
        if worldSize == 1 { return }
        let scale = 1 / Float(worldSize)
        for i in buffer.indices { buffer[i] *= scale }
    }

    /// Sums `buffer` over ranks and divides by `worldSize`, in Double.
    public func average(_ buffer: UnsafeMutableBufferPointer<Double>) throws {
        try allReduce(buffer, .sum)
        if worldSize == 1 { return }
        let scale = 1 / Double(worldSize)
        for i in buffer.indices { buffer[i] *= scale }
    }

    /// Reduce-scatter over equal slices, in place: `buffer` holds `worldSize` slices of
    /// `buffer.count / worldSize` elements; afterwards this rank's slice
    /// `[rank * n, (rank + 1) * n)` holds the reduction of that slice over all ranks.
    /// The other slices are left unspecified.
    public func reduceScatter<T: CollectiveElement>(
        _ buffer: UnsafeMutableBufferPointer<T>, _ op: ReduceOp
    ) throws {
        let sliceCount = try equalSliceCount(buffer.count, call: "reduceScatter")
        guard let base = buffer.baseAddress, sliceCount > 0 else { return }
        // In place, MPI leaves the result at the start of the buffer; move it to our slice.
        try check(
            MPI_Reduce_scatter_block(cmpi_in_place(), base, Int32(sliceCount), T.mpiDatatype, op.mpiOp, comm),
            "MPI_Reduce_scatter_block")
        if rank > 0 {
            (base + rank * sliceCount).update(from: base, count: sliceCount)
        }
    }

    /// All-gather over equal slices, in place: each rank contributes its slice
    /// `[rank * n, (rank + 1) * n)` of `buffer`; afterwards every rank holds every slice.
    public func allGather<T: CollectiveElement>(_ buffer: UnsafeMutableBufferPointer<T>) throws {
        let sliceCount = try equalSliceCount(buffer.count, call: "allGather")
        guard let base = buffer.baseAddress, sliceCount > 0 else { return }
        try check(
            MPI_Allgather(
                cmpi_in_place(), 0, T.mpiDatatype, base, Int32(sliceCount), T.mpiDatatype, comm),
            "MPI_Allgather")
    }

    private func equalSliceCount(_ count: Int, call: String) throws -> Int {
        let sliceCount = try sliceCount(of: count, call: call)
        guard sliceCount <= maximumCallCount else {
            throw CollectiveError.invalidArgument(
                call: call, reason: "slices of \(sliceCount) elements exceed MPI's Int32 count")
        }
        return sliceCount
    }
}

extension Communicator {
    /// Elements per rank when `count` elements split into `worldSize` equal slices; throws
    /// naming `call` when they do not.
    func sliceCount(of count: Int, call: String) throws -> Int {
        guard count % worldSize == 0 else {
            throw CollectiveError.invalidArgument(
                call: call, reason: "\(count) elements do not split into \(worldSize) equal slices")
        }
        return count / worldSize
    }

    /// How a buffer of `count` elements is split into MPI calls of at most `limit` elements
    /// (exposed for tests; the limit is Int32.max in real calls).
    public static func chunkPlan(count: Int, limit: Int) -> [(start: Int, count: Int)] {
        chunks(count: count, limit: limit)
    }
}
