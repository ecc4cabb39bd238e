// mpirun's grace period after a SIGTERM: read from the environment only under mpirun, and a
// warning with a sufficient value when a step plus a checkpoint do not fit in it.
import Testing
import Trainer

struct MpirunGraceTests {
    let underMpirun = ["OMPI_MCA_orte_hnp_uri": "1642004480.0;tcp://192.0.2.2:34659"]

    @Test func theGraceIsKnownOnlyUnderMpirun() {
        #expect(MpirunGrace.seconds(environment: [:]) == nil)
        #expect(MpirunGrace.seconds(environment: ["OMPI_COMM_WORLD_SIZE": "2"]) == nil)
        #expect(MpirunGrace.seconds(environment: underMpirun) == MpirunGrace.openMPIDefault)
        var set = underMpirun
        set[MpirunGrace.variable] = "12"
        #expect(MpirunGrace.seconds(environment: set) == 12)
        set[MpirunGrace.variable] = "soon"
        #expect(MpirunGrace.seconds(environment: set) == MpirunGrace.openMPIDefault)
    }

    @Test func aRunThatFitsIsNotWarned() {
        #expect(MpirunGrace.warning(neededSeconds: 0.7, graceSeconds: 2) == nil)
    }

    @Test func aRunThatDoesNotFitIsToldWhatToSet() throws {
        let warning = try #require(MpirunGrace.warning(neededSeconds: 4.8, graceSeconds: 2))
        #expect(warning.contains("\(MpirunGrace.variable)=11"))
        #expect(warning.contains("4.8 s"))
        // The suggested value itself fits.
        #expect(MpirunGrace.warning(neededSeconds: 4.8, graceSeconds: 11) == nil)
    }
}
