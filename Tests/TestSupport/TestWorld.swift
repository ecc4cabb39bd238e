// The communicator shared by every test in the process (MPI initializes once per process), and
// the same ranks seen as spread over several hosts.
import Collective
import Foundation

/// The world communicator for tests: 1 rank under `swift test`, N ranks under mpirun.
public enum TestWorld {
    /// Initializes MPI on first use; finalization is registered at exit by `Communicator.world()`.
    public static func communicator() throws -> Communicator { try Communicator.world() }

    nonisolated(unsafe) private static var simulated: Communicator?
    private static let lock = NSLock()

    /// Collective on first use: the world's ranks as if even ranks ran on one host and odd ranks on
    /// another (`Communicator.simulatingHosts`), so that the several-host collectives run under an
    /// ordinary mpirun on one machine. Made once per process.
    public static func twoHosts() throws -> Communicator {
        lock.lock()
        defer { lock.unlock() }
        if let simulated { return simulated }
        let made = try communicator().simulatingHosts { $0 % 2 }
        simulated = made
        return made
    }

    /// `twoHosts()` when `isSimulated`, else the world.
    public static func communicator(twoHosts isSimulated: Bool) throws -> Communicator {
        isSimulated ? try twoHosts() : try communicator()
    }
}
