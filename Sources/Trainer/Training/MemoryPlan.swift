// Memory one rank needs for a run (parameters, gradients, optimizer state, activations), and
// the memory this machine offers, so that jobs are sized before they are queued.
import Foundation

/// Bytes one rank allocates for training, by kind.
public struct MemoryPlan: Sendable {
    public var parameterBytes: Int
    public var gradientBytes: Int
    /// The optimizer state (AdamW's m and v, Adafactor's second moments, Shampoo's blocks).
    public var optimizerBytes: Int
    /// What `optimizerBytes` holds.
    public var optimizerDescription = "AdamW m, v"
    /// The activation arena for the per-rank batch (saved activations and backward scratch).
    public var activationBytes: Int
    /// Allocator, libraries, batches in flight and the rest; measured ~0.1 GB on `small`.
    public var overheadBytes: Int

    public var totalBytes: Int {
        parameterBytes + gradientBytes + optimizerBytes + activationBytes + overheadBytes
    }

    /// Extra bytes rank 0 holds while it writes or loads a checkpoint in the sharded mode
    /// (the complete moments, gathered from every rank).
    public var checkpointStagingBytes: Int

    /// The plan for `config` at `batchSize` rows per rank; with `isSharded`, each of the
    /// `worldSize` ranks keeps AdamW moments for its slice only (ZeRO-1), or the state of its own
    /// tensors for another `optimizer` (the largest rank's share is reported). `recomputesLayers`:
    /// gradient checkpointing.
    public init(
        config: DalleBartConfig, batchSize: Int, worldSize: Int = 1, isSharded: Bool = false,
        optimizer: OptimizerSettings? = nil, recomputesLayers: Bool = false
    ) {
        let parameters = ParameterLayout(config: config).count
        parameterBytes = parameters * 4
        gradientBytes = parameters * 4
        let owned = ParameterShards(
            parameterCount: parameters, worldSize: worldSize, rank: 0, isSharded: isSharded
        ).ownedCount
        optimizerBytes = 2 * owned * 4
        checkpointStagingBytes = isSharded ? 2 * parameters * 4 : 0
        if let optimizer, optimizer.name != "adam" {
            let layout = ParameterLayout(config: config)
            let counts = optimizer.tensorStateCounts(layout: layout)
            let total = counts.reduce(0, +)
            let shares = optimizer.shards(layout: layout, worldSize: worldSize, rank: 0, isSharded: isSharded)
                .tensorShares
            optimizerBytes = 4 * (shares?.map { counts[$0].reduce(0, +) }.max() ?? total)
            optimizerDescription = optimizer.stateDescription
            checkpointStagingBytes = isSharded ? total * 4 : 0
        }
        activationBytes =
            DalleBart.activationCount(
                config: config, batchSize: batchSize, recomputesLayers: recomputesLayers) * 4
        overheadBytes = 128 << 20
    }

    /// Memory available to new processes on this machine (MemAvailable), in bytes.
    public static func availableBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
            let kibibytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kibibytes * 1024
    }

    /// The plan as aligned text lines.
    public var lines: [String] {
        [
            ("parameters", parameterBytes), ("gradients", gradientBytes),
            ("optimizer (\(optimizerDescription))", optimizerBytes),
            ("activations", activationBytes), ("other (measured overhead)", overheadBytes),
            ("total", totalBytes),
        ].map {
            "  " + $0.0.padding(toLength: 28, withPad: " ", startingAt: 0)
                + String(format: "%10.2f GiB", Double($0.1) / Double(1 << 30))
        }
    }
}
