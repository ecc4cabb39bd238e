// Open MPI's mpirun answers a SIGTERM of its own by tearing the job down: SIGCONT to every rank,
// a wait, SIGTERM, the same wait, SIGKILL. The wait (odls_base_sigkill_timeout) is the time the
// ranks have to finish their step and write the stop checkpoint.
import Foundation

/// The grace period mpirun leaves the ranks after a SIGTERM, and whether this run fits in it.
public enum MpirunGrace {
    /// The environment form of the MCA parameter (mpirun passes `--mca` values on this way too).
    public static let variable = "OMPI_MCA_odls_base_sigkill_timeout"
    /// Open MPI's default, in seconds.
    public static let openMPIDefault = 1

    /// True when mpirun's daemon started this process (not srun, not a singleton).
    public static func isLaunchedByMpirun(environment: [String: String]) -> Bool {
        environment["OMPI_MCA_orte_hnp_uri"] != nil
    }

    /// Seconds between the SIGTERM and the SIGKILL of mpirun's teardown; nil when not under mpirun.
    public static func seconds(environment: [String: String]) -> Int? {
        guard isLaunchedByMpirun(environment: environment) else { return nil }
        return environment[variable].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            ?? openMPIDefault
    }

    /// A warning when finishing a step and writing a checkpoint (`neededSeconds`) does not fit
    /// in the grace period with a margin, so a SIGTERM to mpirun would lose the checkpoint.
    public static func warning(neededSeconds: Double, graceSeconds: Int) -> String? {
        let suggested = Int((2 * neededSeconds).rounded(.up)) + 1
        guard Double(graceSeconds) < 1.5 * neededSeconds else { return nil }
        return "warning: a SIGTERM sent to mpirun leaves the ranks \(graceSeconds) s to stop "
            + "(\(variable)), and a step plus a checkpoint take this run "
            + String(format: "%.1f", neededSeconds) + " s: export \(variable)=\(suggested) before "
            + "mpirun, or stop the job with SIGUSR1 or through deploy/local/run.sh"
    }
}
