// SIGTERM / SIGUSR1 (SLURM preemption, `--signal`, mpirun's teardown): the first asks for a
// checkpoint at the next step boundary, the second exits at once. Checkpoints are written to a
// temporary directory and renamed, so exiting at any moment never damages a complete checkpoint.
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Process-wide record of stop signals, safe to read from the training loop.
public enum StopSignals {
    /// Exit status after a signal-triggered checkpoint: the run should be resumed (EX_TEMPFAIL).
    public static let checkpointedExitStatus: Int32 = 75
    /// Exit status when a second signal interrupts the run before it could checkpoint.
    public static let interruptedExitStatus: Int32 = 143

    nonisolated(unsafe) private static var received: sig_atomic_t = 0
    nonisolated(unsafe) private static var lastSignal: sig_atomic_t = 0
    /// Set at install when mpirun's daemon started this process: its streams are then this
    /// rank's own, and mpirun stops reading them while it waits out its grace period.
    nonisolated(unsafe) private static var releasesStreams: sig_atomic_t = 0

    /// Installs the handlers for SIGTERM and SIGUSR1 (idempotent).
    public static func install(environment: [String: String] = ProcessInfo.processInfo.environment) {
        releasesStreams = MpirunGrace.isLaunchedByMpirun(environment: environment) ? 1 : 0
        for signalNumber in [SIGTERM, SIGUSR1] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                StopSignals.received += 1
                StopSignals.lastSignal = sig_atomic_t(number)
                if StopSignals.releasesStreams != 0 {
                    // mpirun does not read the ranks' output during its grace period: a write
                    // to a full stream must not block the checkpoint (StandardStream drops it).
                    for descriptor in [STDOUT_FILENO, STDERR_FILENO] {
                        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
                    }
                }
                if StopSignals.received >= 2 {
                    let message = "dalle-train: second stop signal, exiting without a new checkpoint\n"
                    message.withCString { _ = write(2, $0, strlen($0)) }
                    _exit(StopSignals.interruptedExitStatus)
                }
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signalNumber, &action, nil)
        }
    }

    /// True once a stop signal has arrived on this rank.
    public static var isStopRequested: Bool { received > 0 }

    /// The name of the signal that arrived on this rank, for log messages (the ranks agree to
    /// stop when any one of them received a signal).
    public static var signalName: String {
        switch Int32(lastSignal) {
        case SIGTERM: return "SIGTERM"
        case SIGUSR1: return "SIGUSR1"
        default: return "received by another rank"
        }
    }
}
