// Data parallelism over MPI, as dalle-mini's pmap (replicated optimizer) or pjit/ZeRO-1
// (sharded optimizer state): parameter broadcast, gradient averaging, parameter gathering,
// metric averaging and the replica check. Not here: the model, the optimizer math.
import Collective
import Dispatch

/// The collectives of one training run. Every rank calls the same methods in the same order.
public final class DataParallel {
    /// The world the replicas live in.
    public let comm: Communicator
    /// How the parameters are split over the ranks (everything on every rank when replicated).
    public let shards: ParameterShards
    /// True for the pjit / ZeRO-1 mode: each rank updates only its slice of the parameters.
    public var isSharded: Bool { shards.isSharded }
    /// Elements per all-reduce bucket (1-4 MiB is the sweet spot here, docs/PERFORMANCE.md).
    public let bucketCount: Int
    /// Number of Floats in the parameter (and gradient) buffers.
    public var parameterCount: Int { shards.parameterCount }

    /// Prepares the collectives for buffers of `parameterCount` Floats.
    public convenience init(
        comm: Communicator, parameterCount: Int, isSharded: Bool, bucketByteCount: Int = 4 << 20
    ) {
        self.init(
            comm: comm,
            shards: ParameterShards(
                parameterCount: parameterCount, worldSize: comm.worldSize, rank: comm.rank,
                isSharded: isSharded),
            bucketByteCount: bucketByteCount)
    }

    /// Prepares the collectives for the partition `shards` (of this rank in `comm`).
    public init(comm: Communicator, shards: ParameterShards, bucketByteCount: Int = 4 << 20) {
        precondition(bucketByteCount >= 4, "bucket of \(bucketByteCount) bytes")
        precondition(
            shards.worldSize == comm.worldSize && shards.rank == comm.rank,
            "shards of rank \(shards.rank) of \(shards.worldSize) in a world of \(comm.worldSize)")
        self.comm = comm
        self.shards = shards
        self.bucketCount = bucketByteCount / MemoryLayout<Float>.stride
    }

    /// Seconds the gradient averages spent between hosts so far: the host leaders' MPI stage of
    /// the several-host all-reduce, or the whole MPI all-reduce when each host holds one rank.
    public private(set) var betweenHostsSeconds: Double = 0
    /// How the ranks are spread over hosts; known after the first `makeBuffer`.
    public private(set) var hostLayout: HostLayout?

    /// Collective: a zeroed buffer of `parameterCount` Floats in memory the ranks of each host
    /// share (the collectives over it then skip MPI's copies within a host; ordinary memory when
    /// nothing is shared).
    public func makeBuffer() throws -> FlatBuffer {
        let buffer = FlatBuffer(shared: try comm.allocateShared(count: parameterCount))
        hostLayout = try comm.hostLayout()
        return buffer
    }

    /// Makes every replica equal to rank 0's parameters (at start and after resume).
    public func broadcastParameters(_ parameters: FlatBuffer) throws {
        try comm.broadcast(parameters.buffer, root: 0)
    }

    /// Averages the gradients over ranks (sum, then × 1/worldSize, as `lax.pmean`).
    /// Replicated: an in-place all-reduce (for a buffer from `makeBuffer`: in shared memory on one
    /// host; with several hosts, in shared memory within each host and through MPI between host
    /// leaders; else through MPI in buckets); every element is valid afterwards.
    /// Sharded by slices: a reduce-scatter; only `shards.ownedRanges` hold the averaged values
    /// afterwards. Sharded by tensors: as replicated (every rank's norm covers every gradient).
    public func averageGradients(_ gradients: FlatBuffer) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let leaderSeconds = comm.betweenHostsSeconds
        try averageGradientsOnce(gradients)
        if comm.betweenHostsSeconds > leaderSeconds {
            betweenHostsSeconds += comm.betweenHostsSeconds - leaderSeconds
        } else if (hostLayout?.hostCount ?? 1) > 1 && gradients.shared?.isShared != true {
            betweenHostsSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
    }

    private func averageGradientsOnce(_ gradients: FlatBuffer) throws {
        precondition(gradients.count == parameterCount, "gradients \(gradients.count) != \(parameterCount)")
        let scale = 1 / Float(comm.worldSize)
        let even = shards.evenCount
        if let shared = gradients.shared, shared.isShared {
            // One pass over the whole buffer: each rank reduces its part from the peers' memory.
            if shards.isSliced {
                try comm.reduceScatter(shared, range: 0..<even, scale: scale)
                try comm.allReduce(shared, range: even..<parameterCount, scale: scale)
            } else {
                try comm.allReduce(shared, scale: scale)
            }
            return
        }
        if shards.isSliced {
            try comm.reduceScatter(UnsafeMutableBufferPointer(start: gradients.pointer, count: even), .sum)
            try comm.allReduce(
                UnsafeMutableBufferPointer(start: gradients.pointer + even, count: parameterCount - even),
                .sum)
        } else {
            var start = 0
            while start < parameterCount {
                let count = min(bucketCount, parameterCount - start)
                try comm.allReduce(
                    UnsafeMutableBufferPointer(start: gradients.pointer + start, count: count), .sum)
                start += count
            }
        }
        if comm.worldSize > 1 {
            for range in shards.isSliced ? shards.ownedRanges : [0..<parameterCount] {
                scaleInPlace(gradients.pointer + range.lowerBound, range.count, scale)
            }
        }
    }

    /// Sharded mode: every rank receives every slice (or every rank's tensors, broadcast by their
    /// owner) of the updated parameters. No-op when replicated.
    public func gatherParameters(_ parameters: FlatBuffer) throws {
        guard isSharded else { return }
        if let ranges = shards.tensorElementRanges {
            for (owner, range) in ranges.enumerated() where !range.isEmpty {
                try comm.broadcast(
                    UnsafeMutableBufferPointer(
                        start: parameters.pointer + range.lowerBound, count: range.count),
                    root: owner)
            }
            return
        }
        if let shared = parameters.shared, shared.isShared {
            try comm.allGather(shared, range: 0..<shards.evenCount)
            return
        }
        try comm.allGather(UnsafeMutableBufferPointer(start: parameters.pointer, count: shards.evenCount))
    }

    /// Global L2 norm of the averaged gradients: of the whole buffer when replicated; when
    /// sharded by slices, each rank's slice summed over ranks plus the tail every rank holds.
    public func globalNorm(_ gradients: FlatBuffer) throws -> Double {
        guard shards.isSliced else { return GradientClipping.globalNorm(gradients) }
        let slice = GradientClipping.sumOfSquares(
            gradients.pointer + shards.slice(of: comm.rank).lowerBound, count: shards.sliceCount)
        let tail = GradientClipping.sumOfSquares(
            gradients.pointer + shards.evenCount, count: shards.tail.count)
        return (try comm.allReduce(slice, .sum) + tail).squareRoot()
    }

    /// Collective: per-element state laid out as this rank's owned ranges back to back (`local`,
    /// `shards.ownedCount` elements) made complete on rank 0 (`complete`, `parameterCount`
    /// elements, nil on the other ranks). Replicated: `local` is already complete; copied on rank 0.
    public func gatherOwned(_ local: FlatBuffer, into complete: FlatBuffer?) throws {
        precondition(!shards.isShardedByTensor, "per-element state needs the equal-slice partition")
        precondition(local.count == shards.ownedCount, "owned state \(local.count) != \(shards.ownedCount)")
        precondition(comm.isRoot == (complete != nil), "the complete buffer lives on rank 0 only")
        guard isSharded else {
            if let complete, complete !== local {
                complete.pointer.update(from: local.pointer, count: parameterCount)
            }
            return
        }
        let n = shards.sliceCount
        try comm.gatherSlices(
            UnsafeBufferPointer(start: local.pointer, count: n),
            into: complete.map { UnsafeMutableBufferPointer(start: $0.pointer, count: shards.evenCount) })
        complete?.pointer.advanced(by: shards.evenCount).update(
            from: local.pointer + n, count: shards.tail.count)
    }

    /// Collective, the inverse of `gatherOwned`: every rank receives its owned ranges of rank 0's
    /// `complete` state (nil on the other ranks) into `local`.
    public func distributeOwned(from complete: FlatBuffer?, into local: FlatBuffer) throws {
        precondition(!shards.isShardedByTensor, "per-element state needs the equal-slice partition")
        precondition(local.count == shards.ownedCount, "owned state \(local.count) != \(shards.ownedCount)")
        precondition(comm.isRoot == (complete != nil), "the complete buffer lives on rank 0 only")
        guard isSharded else {
            if let complete, complete !== local {
                local.pointer.update(from: complete.pointer, count: parameterCount)
            }
            try comm.broadcast(local.buffer)
            return
        }
        let n = shards.sliceCount
        try comm.scatterSlices(
            complete.map { UnsafeBufferPointer(start: $0.pointer, count: shards.evenCount) },
            into: UnsafeMutableBufferPointer(start: local.pointer, count: n))
        let tail = UnsafeMutableBufferPointer(start: local.pointer + n, count: shards.tail.count)
        if let complete {
            tail.baseAddress?.update(from: complete.pointer + shards.evenCount, count: tail.count)
        }
        try comm.broadcast(tail)
    }

    /// Means of per-rank metrics (loss, ...), in Double.
    public func averageMetrics(_ values: [Double]) throws -> [Double] {
        var copy = values
        try copy.withUnsafeMutableBufferPointer { try comm.average($0) }
        return copy
    }

    /// Compares a checksum of every replica's parameters; throws naming the ranks' disagreement
    /// (silent replica drift is the classic data-parallel bug).
    public func verifyReplicas(_ parameters: FlatBuffer, step: Int) throws {
        let local = Int64(bitPattern: Self.checksum(parameters))
        let low = try comm.allReduce(local, .min)
        let high = try comm.allReduce(local, .max)
        guard low == high else { throw ReplicaMismatch(step: step, rank: comm.rank, checksum: local) }
    }

    /// A 64-bit hash (XXH64) of the exact bits of `buffer`.
    public static func checksum(_ buffer: FlatBuffer) -> UInt64 {
        XXHash64.hash(UnsafeRawBufferPointer(buffer.buffer))
    }

    private func scaleInPlace(_ pointer: UnsafeMutablePointer<Float>, _ count: Int, _ scale: Float) {
        for i in 0..<count { pointer[i] *= scale }
    }
}

/// Replicas whose parameters differ: the run must stop.
public struct ReplicaMismatch: Error, CustomStringConvertible {
    public let step: Int
    public let rank: Int
    public let checksum: Int64
    public var description: String {
        "replica check failed at step \(step): parameters differ across ranks (rank \(rank) checksum "
            + "\(String(UInt64(bitPattern: checksum), radix: 16))); the replicas drifted apart, "
            + "which makes the run invalid: resume from the last checkpoint"
    }
}
