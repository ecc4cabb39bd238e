// The all-reduce estimate against the ring formula worked out by hand.
import Testing
import Trainer

struct CommunicationPlanTests {
    @Test func ringCostPerLevel() {
        // 1 GB of gradients (250M parameters), 4 hosts x 8 ranks, 8 GB/s within, 100 Gbit/s between.
        let plan = CommunicationPlan(
            parameterCount: 250_000_000, ranks: 32, ranksPerHost: 8, networkGbps: 100, hostBytesPerSecond: 8e9
        )
        #expect(plan.hostCount == 4)
        #expect(abs(plan.withinHostSeconds - 2 * 7 / 8 * 1e9 / 8e9) < 1e-12)
        #expect(abs(plan.betweenHostsSeconds - 2 * 3 / 4 * 1e9 / 12.5e9) < 1e-12)
        #expect(abs(plan.totalSeconds - (0.21875 + 0.12)) < 1e-12)
    }

    @Test func oneHostAndOneRankCostNothingBetweenHosts() {
        let oneHost = CommunicationPlan(parameterCount: 1000, ranks: 4, ranksPerHost: 4, networkGbps: 10)
        #expect(oneHost.hostCount == 1 && oneHost.betweenHostsSeconds == 0 && oneHost.withinHostSeconds > 0)
        let oneRank = CommunicationPlan(parameterCount: 1000, ranks: 1, ranksPerHost: 8, networkGbps: 10)
        #expect(oneRank.ranksPerHost == 1 && oneRank.totalSeconds == 0)
        // A last host with fewer ranks still counts as a host.
        #expect(
            CommunicationPlan(parameterCount: 1, ranks: 9, ranksPerHost: 4, networkGbps: 1).hostCount == 3)
    }
}
