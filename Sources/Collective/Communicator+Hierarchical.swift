// The collectives over a SharedFloatBuffer when the ranks span several hosts: shared memory
// within each host, MPI between one leader per host (all-gather: MPI over all ranks, in
// Communicator+Shared). Not here: the single-host path.
import Dispatch

extension Communicator {
    /// Elements per MPI all-reduce between host leaders (4 MiB of Floats: 1-4 MiB is the sweet
    /// spot, docs/PERFORMANCE.md).
    public static let crossHostBucketCount = 1 << 20

    /// Sums `range` of `shared` over every rank of every host and multiplies by `scale`. Order:
    /// each host sums its ranks in rank order (each rank of the host sums a part of the range into
    /// the leader's buffer); the leaders (the lowest rank of each host) all-reduce those host sums
    /// through MPI in buckets of `crossHostBucketCount`, and scale; every other rank of a host then
    /// copies the result from its leader. Ranks that disagree about the call, on any host, all
    /// throw instead of waiting for each other. `call` names the collective in these checks.
    func hierarchicalAllReduce(
        _ shared: SharedFloatBuffer, _ range: Range<Int>, scale: Float, call: SharedCall
    ) throws {
        guard let ranks = shared.ranks, case .success(let group) = sharedMemory else {
            throw CollectiveError.invalidArgument(
                call: "\(call)", reason: "the shared buffer belongs to another communicator")
        }
        let leader = ranks[0]
        let name = "\(call)"
        var problem = validate(call, shared, range)
        let code = call.code(buffer: shared.serial)
        // 1. The host agrees on the call (a mismatch throws on every rank of the host).
        do {
            try group.barrier(
                call: call.code(buffer: shared.serial, valid: problem == nil), lower: range.lowerBound,
                count: range.count, name: name)
        } catch { problem = problem ?? error }
        if problem == nil && group.size > 1 {
            SharedKernels.sum(
                ranks, Self.part(of: range, rank: group.rank, parts: group.size), scale: 1, into: [leader])
        }
        try group.barrier(call: 0, name: name)
        // 2. The leaders agree across hosts, then sum the host sums. Every leader takes part even
        // when its host failed, so that no leader waits for another.
        if group.rank == 0 {
            let start = DispatchTime.now().uptimeNanoseconds
            defer { betweenHostsSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
            do {
                try group.crossHost.agree(
                    isValid: problem == nil, [code, Int64(range.lowerBound), Int64(range.count)], call: name)
                if problem == nil {
                    try group.crossHost.allReduceInBuckets(leader + range.lowerBound, count: range.count)
                    SharedKernels.scale(
                        UnsafeMutableBufferPointer(start: leader + range.lowerBound, count: range.count),
                        by: scale)
                }
            } catch { problem = problem ?? error }
        }
        // 3. The leader's outcome reaches its host (an invalid code on the leader alone is a mismatch).
        do {
            try group.barrier(
                call: call.code(buffer: shared.serial, valid: problem == nil), lower: range.lowerBound,
                count: range.count, name: name)
        } catch { problem = problem ?? error }
        if let problem { throw problem }
        if group.rank != 0 {
            (shared.pointer + range.lowerBound).update(from: leader + range.lowerBound, count: range.count)
        }
        // The leader's buffer stays unchanged until every rank of the host has copied it.
        try group.barrier(call: 0, name: name)
    }

    /// Collective over the host leaders: throws on every leader unless all are valid and pass
    /// the same `values` (one small all-reduce of the values and their negations).
    private func agree(isValid: Bool, _ values: [Int64], call: String) throws {
        var message = [isValid ? 0 : 1] + values + values.map { -$0 }
        try allReduce(&message, .max)
        let n = values.count
        let isSame = (0..<n).allSatisfy { message[1 + $0] == -message[1 + n + $0] }
        guard message[0] == 0 else {
            throw CollectiveError.invalidArgument(
                call: call, reason: "a rank on another host failed this call")
        }
        guard isSame else {
            throw CollectiveError.invalidArgument(
                call: call, reason: "hosts disagree about the call (buffer, range or operation)")
        }
    }

    /// In-place MPI sum of `count` Floats at `start` over this communicator, in buckets.
    private func allReduceInBuckets(_ start: UnsafeMutablePointer<Float>, count: Int) throws {
        var offset = 0
        while offset < count {
            let bucket = Swift.min(Self.crossHostBucketCount, count - offset)
            try allReduce(UnsafeMutableBufferPointer(start: start + offset, count: bucket), .sum)
            offset += bucket
        }
    }
}
