// The whole-tensor partition of the sharded mode for optimizers whose update reads a whole tensor
// (Adafactor's RMS and factored means, Shampoo's blocks): contiguous runs of layout entries, one per
// rank, balanced by the optimizer state each tensor carries.

extension ParameterShards {
    /// Sharded by tensors: rank r owns a contiguous run of `layout`'s entries, chosen so that the
    /// runs carry about equal `stateCounts` (one per entry: the optimizer's state floats).
    public init(layout: ParameterLayout, stateCounts: [Int], worldSize: Int, rank: Int) {
        precondition(
            stateCounts.count == layout.entries.count,
            "ParameterShards: \(stateCounts.count) state counts for \(layout.entries.count) tensors")
        self.init(parameterCount: layout.count, worldSize: worldSize, rank: rank, isSharded: true)
        let shares = Self.contiguousShares(costs: stateCounts.map(Double.init), count: worldSize)
        tensorShares = shares
        tensorElementRanges = shares.map { share in
            guard let first = share.first, let last = share.last else { return 0..<0 }
            let end = layout.entries[last].offset + layout.entries[last].count
            return layout.entries[first].offset..<end
        }
    }

    /// The rank that owns layout entry `tensor` (sharded by tensors).
    public func owner(ofTensor tensor: Int) -> Int {
        tensorShares?.firstIndex { $0.contains(tensor) } ?? rank
    }

    /// `count` contiguous ranges of `costs`' indices with about equal total cost, in order; some
    /// may be empty. Each index goes to the share whose cost target its midpoint falls under.
    public static func contiguousShares(costs: [Double], count: Int) -> [Range<Int>] {
        precondition(count >= 1, "contiguous shares for \(count) ranks")
        let total = costs.reduce(0, +)
        var shares: [Range<Int>] = []
        var start = 0
        var accumulated = 0.0
        for share in 0..<count {
            let target = total * Double(share + 1) / Double(count)
            var end = start
            while end < costs.count && (share == count - 1 || accumulated + costs[end] / 2 <= target) {
                accumulated += costs[end]
                end += 1
            }
            shares.append(start..<end)
            start = end
        }
        return shares
    }
}
