// The communicator shared by every test in the process (MPI initializes once per process).
import Collective

/// The world communicator for tests: 1 rank under `swift test`, N ranks under mpirun.
public enum TestWorld {
    /// Initializes MPI on first use; finalization is registered at exit by `Communicator.world()`.
    public static func communicator() throws -> Communicator { try Communicator.world() }
}
