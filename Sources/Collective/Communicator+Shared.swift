// All-reduce, reduce-scatter and all-gather over `SharedFloatBuffer`s. On one host each rank
// reduces its part of the range straight from the peers' memory and writes the result into every
// rank's buffer (two barriers, no copies through MPI); several hosts: Communicator+Hierarchical;
// no shared memory: the same calls go through MPI.
import Foundation

extension Communicator {
    /// Sums `range` of `shared` over all ranks, multiplies by `scale`, and leaves the result in
    /// every rank's buffer (`scale: 1 / worldSize` is `lax.pmean`). Sums run in rank order.
    public func allReduce(_ shared: SharedFloatBuffer, range: Range<Int>? = nil, scale: Float = 1) throws {
        let range = range ?? 0..<shared.count
        guard let ranks = shared.ranks, let group = shared.group else {
            try checkBounds(range, in: shared, call: "allReduce")
            let view = UnsafeMutableBufferPointer(
                start: shared.pointer + range.lowerBound, count: range.count)
            try allReduce(view, .sum)
            SharedKernels.scale(view, by: scale)
            return
        }
        if group.hostCount > 1 {
            try hierarchicalAllReduce(shared, range, scale: scale, call: .allReduce)
            return
        }
        try sharedCollective(.allReduce, shared, range) {
            SharedKernels.sum(
                ranks, Self.part(of: range, rank: rank, parts: worldSize), scale: scale, into: ranks)
        }
    }

    /// Reduce-scatter over the equal slices of `range`: afterwards this rank's slice
    /// `range.lowerBound + [rank * n, (rank + 1) * n)` holds the sum over ranks times `scale`;
    /// the other slices are left unspecified.
    public func reduceScatter(_ shared: SharedFloatBuffer, range: Range<Int>? = nil, scale: Float = 1) throws
    {
        let range = range ?? 0..<shared.count
        guard let ranks = shared.ranks, let group = shared.group else {
            try checkBounds(range, in: shared, call: "reduceScatter")
            let slice = try equalSlice(of: range, call: "reduceScatter")
            try reduceScatter(
                UnsafeMutableBufferPointer(start: shared.pointer + range.lowerBound, count: range.count), .sum
            )
            SharedKernels.scale(
                UnsafeMutableBufferPointer(start: shared.pointer + slice.lowerBound, count: slice.count),
                by: scale)
            return
        }
        if group.hostCount > 1 {
            // A simple composition: every rank receives the whole sum and keeps its slice.
            try hierarchicalAllReduce(shared, range, scale: scale, call: .reduceScatter)
            return
        }
        // The second barrier keeps peers from changing their buffers while this rank reads them.
        try sharedCollective(.reduceScatter, shared, range) {
            let slice = try equalSlice(of: range, call: "reduceScatter")
            SharedKernels.sum(ranks, slice, scale: scale, into: [shared.pointer])
        }
    }

    /// All-gather over the equal slices of `range`: each rank contributes its slice; afterwards
    /// every rank's buffer holds every slice.
    public func allGather(_ shared: SharedFloatBuffer, range: Range<Int>? = nil) throws {
        let range = range ?? 0..<shared.count
        guard let ranks = shared.ranks, let group = shared.group, group.hostCount == 1 else {
            try checkBounds(range, in: shared, call: "allGather")
            try allGather(
                UnsafeMutableBufferPointer(start: shared.pointer + range.lowerBound, count: range.count))
            return
        }
        try sharedCollective(.allGather, shared, range) {
            let slice = try equalSlice(of: range, call: "allGather")
            for (other, destination) in ranks.enumerated() where other != rank {
                (destination + slice.lowerBound).update(
                    from: shared.pointer + slice.lowerBound, count: slice.count)
            }
        }
    }

    /// Runs `work` between two barriers of the shared-memory group. Arguments are checked after
    /// every rank has arrived: a rank with invalid arguments makes every rank throw (no rank is
    /// left waiting), and arguments invalid on every rank alike throw on every rank before any
    /// memory is touched.
    private func sharedCollective(
        _ call: SharedCall, _ shared: SharedFloatBuffer, _ range: Range<Int>, work: () throws -> Void
    ) throws {
        let name = "\(call)"
        guard case .success(let group) = sharedMemory else {
            throw CollectiveError.invalidArgument(
                call: name, reason: "the shared buffer belongs to another communicator")
        }
        let problem = validate(call, shared, range)
        let code = call.code(buffer: shared.serial, valid: problem == nil)
        do {
            try group.barrier(call: code, lower: range.lowerBound, count: range.count, name: name)
        } catch {
            throw problem ?? error
        }
        if let problem { throw problem }
        try work()
        try group.barrier(call: code, lower: range.lowerBound, count: range.count, name: name)
    }

    /// Why this rank's arguments cannot work (nil when they can): a buffer of another
    /// communicator, a range outside the buffer, or (but for all-reduce) unequal slices.
    func validate(_ call: SharedCall, _ shared: SharedFloatBuffer, _ range: Range<Int>) -> Error? {
        let name = "\(call)"
        guard case .success(let group) = sharedMemory, group === shared.group else {
            return CollectiveError.invalidArgument(
                call: name, reason: "the shared buffer belongs to another communicator")
        }
        do {
            try checkBounds(range, in: shared, call: name)
            if call != .allReduce { _ = try equalSlice(of: range, call: name) }
        } catch { return error }
        return nil
    }

    /// The part of `range` that `rank` reduces in an all-reduce: nearly equal parts whose inner
    /// boundaries fall on 64-byte lines of the buffer, so no two ranks write the same cache line.
    static func part(of range: Range<Int>, rank: Int, parts: Int) -> Range<Int> {
        func boundary(_ k: Int) -> Int {
            if k == 0 { return range.lowerBound }
            if k == parts { return range.upperBound }
            let aligned = (range.lowerBound + range.count * k / parts) / 16 * 16
            return Swift.min(Swift.max(aligned, range.lowerBound), range.upperBound)
        }
        return boundary(rank)..<boundary(rank + 1)
    }

    private func checkBounds(_ range: Range<Int>, in shared: SharedFloatBuffer, call: String) throws {
        guard range.lowerBound >= 0, range.upperBound <= shared.count else {
            throw CollectiveError.invalidArgument(
                call: call, reason: "range \(range) outside a shared buffer of \(shared.count) elements")
        }
    }

    private func equalSlice(of range: Range<Int>, call: String) throws -> Range<Int> {
        let count = try sliceCount(of: range.count, call: call)
        return range.lowerBound + rank * count..<range.lowerBound + (rank + 1) * count
    }
}

/// The element loops of the shared-memory collectives.
enum SharedKernels {
    /// Elements per block: the partial sum of a block stays in L1.
    static let blockCount = 2048

    /// For `range`: every destination gets `(sources[0] + sources[1] + ...) * scale`, summed in
    /// rank order so that the result does not depend on which rank computes it.
    static func sum(
        _ sources: [UnsafeMutablePointer<Float>], _ range: Range<Int>, scale: Float,
        into destinations: [UnsafeMutablePointer<Float>]
    ) {
        let block = UnsafeMutablePointer<Float>.allocate(capacity: blockCount)
        defer { block.deallocate() }
        var start = range.lowerBound
        while start < range.upperBound {
            let count = min(blockCount, range.upperBound - start)
            let first = sources[0] + start
            let second = sources[1] + start
            for i in 0..<count { block[i] = first[i] + second[i] }
            for source in sources.dropFirst(2) {
                let next = source + start
                for i in 0..<count { block[i] += next[i] }
            }
            if scale != 1 {
                for i in 0..<count { block[i] *= scale }
            }
            for destination in destinations {
                (destination + start).update(from: block, count: count)
            }
            start += count
        }
    }

    /// Multiplies every element by `scale` (nothing to do for 1).
    static func scale(_ buffer: UnsafeMutableBufferPointer<Float>, by scale: Float) {
        guard scale != 1, let base = buffer.baseAddress else { return }
        for i in 0..<buffer.count { base[i] *= scale }
    }
}
