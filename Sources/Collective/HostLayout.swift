// Which ranks share a host: the split of a communicator into one group per host (MPI's
// shared-memory split, never host names) and one group of host leaders. Not here: the collectives.
import CMPI

/// How the ranks of a job are spread over hosts. The same on every rank.
public struct HostLayout: Sendable, Equatable {
    /// For each rank, the index of its host; hosts are numbered in the order of their lowest rank.
    public let hostOfRank: [Int]
    /// Number of hosts.
    public var hostCount: Int { (hostOfRank.max() ?? 0) + 1 }
    /// Ranks on each host, by host index.
    public var ranksPerHost: [Int] {
        (0..<hostCount).map { host in hostOfRank.filter { $0 == host }.count }
    }

    /// Builds a layout from each rank's host index (validated by `Communicator.hostLayout`).
    public init(hostOfRank: [Int]) {
        self.hostOfRank = hostOfRank
    }

    /// "2 hosts x 2 ranks (ranks 0-1 | 2-3)": the hosts, ranks per host and which ranks go where.
    public var description: String {
        let sizes = Set(ranksPerHost)
        let perHost =
            sizes.count == 1
            ? "\(sizes.first ?? 0) rank(s)" : ranksPerHost.map(String.init).joined(separator: "+")
        let members = (0..<hostCount).map { host in
            hostOfRank.indices.filter { hostOfRank[$0] == host }.map(String.init).joined(separator: ",")
        }
        return "\(hostCount) host(s) x \(perHost) (ranks \(members.joined(separator: " | ")))"
    }
}

/// The communicators behind a `HostLayout`: the ranks of this host, and the ranks with the
/// same position on every host (position 0: the host leaders, one per host).
struct HostGroups {
    let layout: HostLayout
    /// The ranks of this rank's host, ordered by rank (this rank's position is `host.rank`).
    let host: Communicator
    /// The ranks at this rank's position on every host; for position 0 one rank per host, in
    /// host order. Only the leaders' (position 0) group carries traffic.
    let crossHost: Communicator

    /// Collective: splits `comm` by host (MPI_COMM_TYPE_SHARED, or `comm.simulatedHostOfRank`
    /// in tests), then by position within the host.
    static func make(_ comm: Communicator) throws -> HostGroups {
        var hostComm: MPI_Comm?
        if let simulated = comm.simulatedHostOfRank {
            try check(
                MPI_Comm_split(comm.comm, Int32(simulated[comm.rank]), Int32(comm.rank), &hostComm),
                "MPI_Comm_split")
        } else {
            try check(
                MPI_Comm_split_type(comm.comm, cmpi_comm_type_shared(), 0, cmpi_info_null(), &hostComm),
                "MPI_Comm_split_type")
        }
        let host = try Communicator.wrapping(hostComm, parent: comm)
        var crossComm: MPI_Comm?
        try check(MPI_Comm_split(comm.comm, Int32(host.rank), Int32(comm.rank), &crossComm), "MPI_Comm_split")
        let crossHost = try Communicator.wrapping(crossComm, parent: comm)
        // The host index: the leader's rank among the leaders, shared with its host.
        let hostIndex = try host.broadcast([Int64(crossHost.rank)], root: 0)[0]
        var hosts = [Int64](repeating: 0, count: comm.worldSize)
        hosts[comm.rank] = hostIndex
        try hosts.withUnsafeMutableBufferPointer { try comm.allGather($0) }
        return HostGroups(
            layout: HostLayout(hostOfRank: hosts.map { Int($0) }), host: host, crossHost: crossHost)
    }
}

extension Communicator {
    /// Collective (the first call): how this communicator's ranks are spread over hosts.
    public func hostLayout() throws -> HostLayout {
        try hostGroups().layout
    }

    /// Collective (the first call): the host and leader groups, made once.
    func hostGroups() throws -> HostGroups {
        if let groups { return groups }
        let made = try HostGroups.make(self)
        groups = made
        return made
    }

    /// Collective: a communicator over the same ranks that treats the ranks as spread over hosts
    /// by `hostOf(rank)` instead of by shared memory. For tests of the several-host collectives
    /// on one machine: the ranks of one simulated host must still share memory.
    public func simulatingHosts(_ hostOf: (Int) -> Int) throws -> Communicator {
        let hosts = (0..<worldSize).map(hostOf)
        guard hosts.allSatisfy({ $0 >= 0 }) else {
            throw CollectiveError.invalidArgument(call: "simulatingHosts", reason: "negative host index")
        }
        var duplicate: MPI_Comm?
        try check(MPI_Comm_dup(comm, &duplicate), "MPI_Comm_dup")
        let copy = try Communicator.wrapping(duplicate, parent: self)
        copy.simulatedHostOfRank = hosts
        return copy
    }
}
