// Estimated time of one step's gradient all-reduce on a cluster, per level (shared memory within
// a host, the network between hosts), against the step's compute: `dalle-train plan`'s estimate.

/// The ring all-reduce cost model, 2(p-1)/p x bytes / bandwidth per level, for one step.
public struct CommunicationPlan: Sendable {
    /// Bytes of gradients averaged each step (Float per parameter).
    public let byteCount: Int
    /// Ranks per host (the shared-memory level) and hosts (the network level).
    public let ranksPerHost: Int
    public let hostCount: Int
    /// Bus bandwidths in bytes per second: within a host (shared memory) and between hosts.
    public let hostBytesPerSecond: Double
    public let networkBytesPerSecond: Double

    /// Measured on the 2-core development machines (docs/PERFORMANCE.md): a 64 MiB all-reduce of
    /// a shared buffer moves 6.8-10.5 GB/s of bus bandwidth.
    public static let measuredSharedMemoryBytesPerSecond = 8e9

    /// The plan for `parameterCount` gradients over `ranks` ranks, `ranksPerHost` on each host
    /// (the last host may hold fewer), with `networkGbps` gigabits per second between hosts.
    public init(
        parameterCount: Int, ranks: Int, ranksPerHost: Int, networkGbps: Double,
        hostBytesPerSecond: Double = measuredSharedMemoryBytesPerSecond
    ) {
        precondition(ranks > 0 && ranksPerHost > 0 && networkGbps > 0, "ranks, ranks per host, bandwidth")
        byteCount = parameterCount * 4
        self.ranksPerHost = min(ranksPerHost, ranks)
        hostCount = (ranks + ranksPerHost - 1) / ranksPerHost
        self.hostBytesPerSecond = hostBytesPerSecond
        networkBytesPerSecond = networkGbps * 1e9 / 8
    }

    /// Seconds of a ring all-reduce of `bytes` over `parts` members at `bandwidth` bytes/s.
    public static func ringSeconds(bytes: Int, parts: Int, bandwidth: Double) -> Double {
        guard parts > 1 else { return 0 }
        return 2 * Double(parts - 1) / Double(parts) * Double(bytes) / bandwidth
    }

    /// Seconds within each host (reduce to the leader, then share back: one ring-equivalent pass).
    public var withinHostSeconds: Double {
        Self.ringSeconds(bytes: byteCount, parts: ranksPerHost, bandwidth: hostBytesPerSecond)
    }

    /// Seconds between the host leaders.
    public var betweenHostsSeconds: Double {
        Self.ringSeconds(bytes: byteCount, parts: hostCount, bandwidth: networkBytesPerSecond)
    }

    /// Both levels, one after the other (the stages do not overlap).
    public var totalSeconds: Double { withinHostSeconds + betweenHostsSeconds }
}
