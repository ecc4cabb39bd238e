// The FP32 peak that MFU is measured against: a short FMA loop on one core (CPeak/peak.h).
import CPeak

/// The measured FP32 fused-multiply-add peak of one core.
public enum PeakFLOPs {
    /// GFLOP/s of the best of `repeats` runs (each about 50 ms at 4 GHz) and the instruction set used.
    public static func measure(repeats: Int = 5) -> (gflops: Double, instructionSet: String) {
        var isa: UnsafePointer<CChar>? = nil
        let gflops = cpeak_gflops(20_000_000, Int32(repeats), &isa)
        return (gflops, isa.map { String(cString: $0) } ?? "unknown")
    }
}
