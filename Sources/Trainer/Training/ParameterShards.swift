// How the flat parameter buffer is partitioned over ranks: the one place that computes the
// ZeRO-1 slices and the whole-tensor shares. DataParallel, the optimizers, the memory plan and
// checkpoints all read it.

/// The partition of `parameterCount` elements over `worldSize` ranks. Replicated: every rank owns
/// everything. Sharded (pjit / ZeRO-1) by slices (AdamW): rank r owns the equal slice
/// `[r·sliceCount, (r+1)·sliceCount)` plus the short `tail` that does not divide evenly, which
/// every rank updates alike. Sharded by tensors (Adafactor, Shampoo, whose updates are not
/// elementwise): rank r owns the whole tensors `tensorShares[r]`, a contiguous run of layout entries
/// (`ParameterShards+Tensors.swift`).
public struct ParameterShards: Equatable, Sendable {
    public let parameterCount: Int
    public let worldSize: Int
    public let rank: Int
    public let isSharded: Bool
    /// Sharded by tensors: each rank's layout entries; nil for equal slices or replicated.
    public internal(set) var tensorShares: [Range<Int>]?
    /// Sharded by tensors: each rank's elements (its tensors' span of the flat buffer).
    public internal(set) var tensorElementRanges: [Range<Int>]?

    public init(parameterCount: Int, worldSize: Int, rank: Int, isSharded: Bool) {
        precondition(
            worldSize >= 1 && (0..<worldSize).contains(rank) && parameterCount >= 0,
            "ParameterShards: rank \(rank) of \(worldSize), \(parameterCount) parameters")
        self.parameterCount = parameterCount
        self.worldSize = worldSize
        self.rank = rank
        self.isSharded = isSharded
    }

    /// True when sharded by whole tensors rather than equal slices.
    public var isShardedByTensor: Bool { tensorShares != nil }
    /// True when sharded by equal slices (AdamW's ZeRO-1).
    public var isSliced: Bool { isSharded && !isShardedByTensor }

    /// Elements of each rank's equal slice (`parameterCount / worldSize`, rounded down).
    public var sliceCount: Int { parameterCount / worldSize }
    /// Elements covered by the equal slices of all ranks.
    public var evenCount: Int { worldSize * sliceCount }
    /// The elements after the equal slices (fewer than `worldSize`).
    public var tail: Range<Int> { evenCount..<parameterCount }

    /// Rank `r`'s equal slice.
    public func slice(of r: Int) -> Range<Int> { r * sliceCount..<(r + 1) * sliceCount }

    /// The ranges this rank updates, in storage order: everything when replicated; its slice and
    /// the tail when sharded.
    public var ownedRanges: [Range<Int>] {
        guard isSharded else { return [0..<parameterCount] }
        if let tensorElementRanges { return [tensorElementRanges[rank]] }
        return tail.isEmpty ? [slice(of: rank)] : [slice(of: rank), tail]
    }

    /// Elements this rank owns (the size of per-element optimizer state on it).
    public var ownedCount: Int {
        guard isSharded else { return parameterCount }
        return tensorElementRanges?[rank].count ?? sliceCount + tail.count
    }
}
