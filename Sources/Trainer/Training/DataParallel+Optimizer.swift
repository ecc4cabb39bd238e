// The optimizer update inside the data-parallel step. Replicated, Distributed Shampoo's statistics
// and inverse roots are spread over the ranks (each updates and roots a contiguous share of the
// statistics, then every rank receives all preconditioners), as train.py's sharded mode spreads
// them; sharded by tensors, each rank updates and roots its own tensors only.
import Collective

extension DataParallel {
    /// Applies one update of `optimizer` on every rank (the same collectives on every rank).
    public func update(
        _ optimizer: any ParameterOptimizer, parameters: FlatBuffer, gradients: FlatBuffer,
        learningRate: Float
    ) throws {
        guard let shampoo = optimizer as? Shampoo, comm.worldSize > 1, !isSharded else {
            optimizer.update(parameters: parameters, gradients: gradients, learningRate: learningRate)
            return
        }
        let recomputes = shampoo.recomputesPreconditioners
        shampoo.ownedStatistics = shampoo.statisticShare(rank: comm.rank, worldSize: comm.worldSize)
        shampoo.applyUpdate(parameters: parameters, gradients: gradients, learningRate: learningRate)
        if recomputes { try computePreconditioners(shampoo) }
        shampoo.step += 1
    }

    /// Before a checkpoint: every rank receives every statistic (each rank updates only its share
    /// of them between checkpoints). No-op for the other optimizers, on one rank and when sharded.
    public func completeState(_ optimizer: any ParameterOptimizer) throws {
        guard let shampoo = optimizer as? Shampoo, comm.worldSize > 1, !isSharded else { return }
        try sumShares(shampoo.statistics, shampoo.ownedStatistics, shampoo.layout.statistics)
    }

    /// Every rank computes the roots of its share of the statistics, zeroes the rest of the
    /// preconditioner buffer, and a sum over ranks gives every rank every preconditioner (x + 0 is
    /// exact, so the result equals one rank computing all of them).
    func computePreconditioners(_ shampoo: Shampoo) throws {
        let share = shampoo.statisticShare(rank: comm.rank, worldSize: comm.worldSize)
        shampoo.computePreconditioners(statistics: share)
        try sumShares(shampoo.preconditioners, share, shampoo.layout.statistics)
        let errors = shampoo.rootErrors
        for index in shampoo.layout.statistics.indices where !share.contains(index) {
            errors.pointer[index] = 0
        }
        try sumInBuckets(errors)
    }

    /// Zeroes `buffer` (laid out like the statistics) outside the matrices of `share`, then sums it
    /// over the ranks: every rank ends with every rank's share.
    private func sumShares(
        _ buffer: FlatBuffer, _ share: Range<Int>, _ statistics: [ShampooLayout.Statistic]
    ) throws {
        let start = share.isEmpty ? 0 : statistics[share.lowerBound].offset
        let last = share.isEmpty ? nil : statistics[share.upperBound - 1]
        let end = last.map { $0.offset + $0.size * $0.size } ?? 0
        buffer.pointer.update(repeating: 0, count: start)
        (buffer.pointer + end).update(repeating: 0, count: buffer.count - end)
        try sumInBuckets(buffer)
    }

    /// An in-place sum over ranks in buckets of `bucketCount`.
    private func sumInBuckets(_ buffer: FlatBuffer) throws {
        var offset = 0
        while offset < buffer.count {
            let count = min(bucketCount, buffer.count - offset)
            try comm.allReduce(UnsafeMutableBufferPointer(start: buffer.pointer + offset, count: count), .sum)
            offset += count
        }
    }
}
