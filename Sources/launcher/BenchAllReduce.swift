// `dalle-train bench-allreduce`: bus bandwidth of the in-place Float all-reduce.
import ArgumentParser
import Collective
import Foundation

/// Measures in-place Float all-reduce through `Communicator` and reports bus bandwidth
/// (NCCL-tests convention: bytes x 2(n-1)/n per second), on ordinary memory (through MPI) and
/// on a `SharedFloatBuffer` (the trainer's gradients; shared memory when the ranks share a host).
struct BenchAllReduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-allreduce", abstract: "Measure all-reduce bus bandwidth across the ranks.")

    @Option(help: "Buffer sizes in MiB (repeat the option for several).")
    var mebibytes: [Double] = [1, 4, 64]

    @Option(help: "Timed iterations per size (after 3 warm-up iterations).")
    var iterations = 20

    func validate() throws {
        guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
        guard mebibytes.allSatisfy({ $0 > 0 }) else { throw ValidationError("--mebibytes must be positive") }
    }

    func run() throws {
        let comm = try Communicator.world()
        for size in mebibytes {
            let count = Int(size * 1_048_576) / MemoryLayout<Float>.stride
            let ordinary = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
            defer { ordinary.deallocate() }
            ordinary.initialize(repeating: Float(comm.rank + 1))
            let mpi = try measure(comm: comm) { try comm.allReduce(ordinary, .sum) }
            report(comm: comm, size: size, count: count, seconds: mpi, path: "ordinary memory, MPI")

            let shared = try comm.allocateShared(count: count)
            shared.buffer.update(repeating: Float(comm.rank + 1))
            let direct = try measure(comm: comm) { try comm.allReduce(shared) }
            let path =
                shared.isShared ? "shared buffer" : "shared buffer via MPI (\(shared.unsharedReason ?? ""))"
            report(comm: comm, size: size, count: count, seconds: direct, path: path)
        }
    }

    /// Median over iterations of the slowest rank's time of `body` (after 3 warm-up runs).
    private func measure(comm: Communicator, _ body: () throws -> Void) throws -> Double {
        var times: [Double] = []
        for iteration in 0..<(iterations + 3) {
            try comm.barrier()
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if iteration >= 3 { times.append(seconds) }
        }
        try comm.allReduce(&times, .max)
        return times.sorted()[times.count / 2]
    }

    private func report(comm: Communicator, size: Double, count: Int, seconds: Double, path: String) {
        guard comm.isRoot else { return }
        let n = Double(comm.worldSize)
        let bytes = Double(count * MemoryLayout<Float>.stride)
        let busBandwidth = n > 1 ? bytes * 2 * (n - 1) / n / seconds : 0
        print(
            String(
                format: "allreduce %8.2f MiB  ranks %d  median %9.1f us  bus bandwidth %6.2f GB/s  ",
                size, comm.worldSize, seconds * 1e6, busBandwidth / 1e9) + path)
    }
}
