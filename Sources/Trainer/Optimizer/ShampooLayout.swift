// Where every tensor's Shampoo state lives: its merged shape, its blocks, its statistics (with
// their sizes, root exponents and the padded size of their instance) and the instance it belongs
// to (one for the non-layer parameters, one per encoder/decoder layer, as train.py builds them).

/// The static plan of Distributed Shampoo over a `ParameterLayout`.
public struct ShampooLayout: Sendable {
    /// One block of a tensor seen as its merged (rows, columns) matrix.
    public struct Block: Equatable, Sendable {
        public var rowStart: Int
        public var rowCount: Int
        public var columnStart: Int
        public var columnCount: Int
        /// Index of the block's first statistic (rows, then columns for a matrix).
        public var firstStatistic: Int
    }

    /// One tensor.
    public struct Tensor: Equatable, Sendable {
        public var entry: ParameterEntry
        /// The instance (`standard` or a layer's Flax path).
        public var group: String
        /// True when a dim exceeds `skip_preconditioning_dim_size_gt`: grafting only.
        public var isSkipped: Bool
        /// The shape after merging small dims (a vector is one row).
        public var mergedShape: [Int]
        public var rows: Int
        public var columns: Int
        /// Empty when skipped.
        public var blocks: [Block]
    }

    /// One statistic (and its preconditioner), stored unpadded.
    public struct Statistic: Equatable, Sendable {
        /// Side of the square matrix.
        public var size: Int
        /// Side of the padded matrix its root is taken of (the instance's largest statistic).
        public var paddedSize: Int
        /// The root is the −1/exponent power.
        public var exponent: Int
        /// First element in the statistics (and preconditioners) buffer.
        public var offset: Int
        /// The tensor and which of its statistics this is.
        public var tensor: Int
        public var indexInTensor: Int
    }

    public let tensors: [Tensor]
    public let statistics: [Statistic]
    /// Floats of all statistics (the same for the preconditioners).
    public let statisticsCount: Int
    /// Largest tensor, block area and statistic side (scratch sizes).
    public let largestTensor: Int
    public let largestBlock: Int
    public let largestStatistic: Int
    public let largestPaddedStatistic: Int

    /// Plans every tensor of `layout` under `hyperparameters`.
    public init(layout: ParameterLayout, hyperparameters: ShampooHyperparameters) {
        let blockSize = hyperparameters.blockSize
        precondition(blockSize >= 1, "Shampoo block size \(blockSize)")
        var tensors: [Tensor] = []
        var sizes: [(size: Int, exponent: Int, tensor: Int, index: Int)] = []
        var largestBlock = 1
        for (tensorIndex, entry) in layout.entries.enumerated() {
            let isSkipped =
                entry.shape.isEmpty
                || entry.shape.contains { $0 > hyperparameters.skipPreconditioningDimSizeGT }
            let merged = Self.mergeSmallDims(entry.shape, maxDim: hyperparameters.mergeSmallDimsBlockSize)
            precondition(merged.count <= 2, "Shampoo: \(entry.name) merges to rank \(merged.count) > 2")
            let rows = merged.count == 2 ? merged[0] : 1
            let columns = merged.last ?? 1
            var blocks: [Block] = []
            if !isSkipped {
                let exponent =
                    hyperparameters.exponentOverride != 0
                    ? hyperparameters.exponentOverride : 2 * merged.count
                let rowSplits = merged.count == 2 ? Self.splits(rows, blockSize) : [0..<1]
                for rowRange in rowSplits {
                    for columnRange in Self.splits(columns, blockSize) {
                        blocks.append(
                            Block(
                                rowStart: rowRange.lowerBound, rowCount: rowRange.count,
                                columnStart: columnRange.lowerBound, columnCount: columnRange.count,
                                firstStatistic: sizes.count))
                        largestBlock = max(largestBlock, rowRange.count * columnRange.count)
                        if merged.count == 2 {
                            sizes.append((rowRange.count, exponent, tensorIndex, sizes.count))
                        }
                        sizes.append((columnRange.count, exponent, tensorIndex, sizes.count))
                    }
                }
            }
            tensors.append(
                Tensor(
                    entry: entry, group: Self.group(of: entry.name), isSkipped: isSkipped,
                    mergedShape: merged,
                    rows: rows, columns: columns, blocks: blocks))
        }
        var groupSizes: [String: Int] = [:]
        for item in sizes {
            groupSizes[tensors[item.tensor].group, default: 0] = max(
                groupSizes[tensors[item.tensor].group, default: 0], item.size)
        }
        var statistics: [Statistic] = []
        var offset = 0
        var firstOfTensor: [Int: Int] = [:]
        for (index, item) in sizes.enumerated() {
            let first = firstOfTensor[item.tensor] ?? index
            firstOfTensor[item.tensor] = first
            statistics.append(
                Statistic(
                    size: item.size, paddedSize: groupSizes[tensors[item.tensor].group] ?? item.size,
                    exponent: item.exponent, offset: offset, tensor: item.tensor, indexInTensor: index - first
                ))
            offset += item.size * item.size
        }
        self.tensors = tensors
        self.statistics = statistics
        statisticsCount = offset
        largestTensor = max(1, layout.entries.map(\.count).max() ?? 1)
        self.largestBlock = largestBlock
        largestStatistic = max(1, statistics.map(\.size).max() ?? 1)
        largestPaddedStatistic = max(1, statistics.map(\.paddedSize).max() ?? 1)
    }

    /// train.py's instance of a parameter: its layer's Flax path, or `standard`.
    public static func group(of name: String) -> String {
        let parts = name.split(separator: ".")
        guard let layers = parts.firstIndex(of: "layers"), layers + 1 < parts.count else { return "standard" }
        return parts[...(layers + 1)].joined(separator: ".")
    }

    /// `merge_small_dims`: adjacent dims multiplied while the product stays ≤ `maxDim`; size-1
    /// dims vanish; all-ones gives [1].
    public static func mergeSmallDims(_ shape: [Int], maxDim: Int) -> [Int] {
        if !shape.isEmpty && shape.allSatisfy({ $0 == 1 }) { return [1] }
        var merged: [Int] = []
        var product = 1
        for dim in shape {
            if product * dim <= maxDim {
                product *= dim
            } else {
                if product > 1 { merged.append(product) }
                product = dim
            }
        }
        if product > 1 { merged.append(product) }
        return merged
    }

    /// Consecutive ranges of at most `blockSize` covering 0..<count (a ragged last one).
    static func splits(_ count: Int, _ blockSize: Int) -> [Range<Int>] {
        stride(from: 0, to: count, by: blockSize).map { $0..<min($0 + blockSize, count) }
    }
}

extension ShampooLayout {
    /// `count` contiguous ranges of statistic indices with about equal root cost (size³ each),
    /// in order; some may be empty.
    public func statisticShares(count: Int) -> [Range<Int>] {
        ParameterShards.contiguousShares(
            costs: statistics.map { Double($0.size) * Double($0.size) * Double($0.size) }, count: count)
    }
}
