// The order in which one epoch visits the dataset's records: a seeded permutation of blocks,
// grouped into windows of a few blocks whose records are shuffled together. Pure functions of
// (seed, epoch, block table): the same on every rank and for every world size.

/// Purposes mixed into derived seeds, so that streams never coincide.
enum RandomPurpose: UInt64 {
    case blockPermutation = 1
    case windowShuffle = 2
    case blankCaption = 3
    case personToken = 4
    case promptPersonToken = 5
}

/// One epoch's record order: windows of consecutive (permuted) blocks, records shuffled
/// within each window. Position p of the epoch is record `order(window)[p - start(window)]`.
struct EpochOrder {
    /// Block indices (into `Dataset.blocks`) of each window, in visiting order.
    let windows: [[Int]]
    /// windowStarts[k] = epoch position of window k's first record; last entry = record count.
    let windowStarts: [Int]
    let seed: UInt64
    let epoch: Int
    let isShuffled: Bool

    /// Shuffled order when `isShuffled`, else storage order (one block per window).
    init(blocks: [BlockLocation], seed: UInt64, epoch: Int, isShuffled: Bool, windowBlocks: Int) {
        precondition(windowBlocks > 0, "windowBlocks must be positive")
        var permutation = Array(blocks.indices)
        if isShuffled {
            var random = SplitMix64(
                seed: SplitMix64.derive(seed, UInt64(epoch), RandomPurpose.blockPermutation.rawValue))
            random.shuffle(&permutation)
        }
        let size = isShuffled ? windowBlocks : 1
        windows = stride(from: 0, to: permutation.count, by: size).map {
            Array(permutation[$0..<min($0 + size, permutation.count)])
        }
        var starts = [0]
        for window in windows {
            starts.append(starts.last! + window.reduce(0) { $0 + blocks[$1].recordCount })
        }
        windowStarts = starts
        self.seed = seed
        self.epoch = epoch
        self.isShuffled = isShuffled
    }

    /// Records in the epoch.
    var recordCount: Int { windowStarts.last! }

    /// The window holding epoch position `position`.
    func window(containing position: Int) -> Int {
        precondition(position >= 0 && position < recordCount, "position \(position) of \(recordCount)")
        var low = 0
        var high = windows.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if windowStarts[middle] <= position { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// Visiting order of window `index`'s records, as indices into the concatenation of its blocks.
    func recordOrder(window index: Int) -> [Int32] {
        var order = (0..<Int32(windowStarts[index + 1] - windowStarts[index])).map { $0 }
        if isShuffled {
            var random = SplitMix64(
                seed: SplitMix64.derive(
                    seed, UInt64(epoch), RandomPurpose.windowShuffle.rawValue, UInt64(index)))
            random.shuffle(&order)
        }
        return order
    }
}
