// The optimizer update inside the data-parallel step: Distributed Shampoo's inverse roots are
// spread over the ranks (each computes a contiguous share of the statistics, then every rank
// receives all preconditioners), as train.py's sharded mode spreads them over its devices.
import Collective

extension DataParallel {
    /// Applies one update of `optimizer` on every rank (the same collectives on every rank).
    public func update(
        _ optimizer: any ParameterOptimizer, parameters: FlatBuffer, gradients: FlatBuffer,
        learningRate: Float
    ) throws {
        guard let shampoo = optimizer as? Shampoo, comm.worldSize > 1 else {
            optimizer.update(parameters: parameters, gradients: gradients, learningRate: learningRate)
            return
        }
        let recomputes = shampoo.recomputesPreconditioners
        shampoo.applyUpdate(parameters: parameters, gradients: gradients, learningRate: learningRate)
        if recomputes { try computePreconditioners(shampoo) }
        shampoo.step += 1
    }

    /// Every rank computes the roots of its share of the statistics, zeroes the rest of the
    /// preconditioner buffer, and a sum over ranks gives every rank every preconditioner (x + 0 is
    /// exact, so the result equals one rank computing all of them).
    func computePreconditioners(_ shampoo: Shampoo) throws {
        let shares = shampoo.layout.statisticShares(count: comm.worldSize)
        let share = shares[comm.rank]
        shampoo.computePreconditioners(statistics: share)
        let statistics = shampoo.layout.statistics
        let start = share.isEmpty ? 0 : statistics[share.lowerBound].offset
        let end =
            share.isEmpty
            ? 0
            : statistics[share.upperBound - 1].offset + statistics[share.upperBound - 1].size
                * statistics[share.upperBound - 1].size
        let buffer = shampoo.preconditioners
        buffer.pointer.update(repeating: 0, count: start)
        (buffer.pointer + end).update(repeating: 0, count: buffer.count - end)
        let errors = shampoo.rootErrors
        for index in statistics.indices where !share.contains(index) { errors.pointer[index] = 0 }
        for flat in [buffer, errors] {
            var offset = 0
            while offset < flat.count {
                let count = min(bucketCount, flat.count - offset)
                try comm.allReduce(
                    UnsafeMutableBufferPointer(start: flat.pointer + offset, count: count), .sum)
                offset += count
            }
        }
    }
}
