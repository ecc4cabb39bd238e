// `dalle-train bench-allreduce`: bus bandwidth of the in-place Float all-reduce.
import ArgumentParser
import Collective
import Foundation

/// Measures in-place Float all-reduce through `Communicator` and reports bus bandwidth
/// (NCCL-tests convention: bytes x 2(n-1)/n per second).
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
        let n = Double(comm.worldSize)
        for size in mebibytes {
            let count = Int(size * 1_048_576) / MemoryLayout<Float>.stride
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
            defer { buffer.deallocate() }
            buffer.initialize(repeating: Float(comm.rank + 1))
            var times: [Double] = []
            for iteration in 0..<(iterations + 3) {
                try comm.barrier()
                let start = DispatchTime.now().uptimeNanoseconds
                try comm.allReduce(buffer, .sum)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                if iteration >= 3 { times.append(seconds) }
            }
            // Slowest rank defines each iteration; take the median over iterations.
            try comm.allReduce(&times, .max)
            let median = times.sorted()[times.count / 2]
            let bytes = Double(count * MemoryLayout<Float>.stride)
            let busBandwidth = n > 1 ? bytes * 2 * (n - 1) / n / median : 0
            if comm.isRoot {
                print(
                    String(
                        format: "allreduce %8.2f MiB  ranks %d  median %9.1f us  bus bandwidth %6.2f GB/s",
                        size, comm.worldSize, median * 1e6, busBandwidth / 1e9))
            }
        }
    }
}
