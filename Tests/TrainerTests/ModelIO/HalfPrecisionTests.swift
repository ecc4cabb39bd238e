// The branch-free float16 conversions against Swift's own Float16 (round to nearest even):
// every float16 value widened, and narrowing at every float16 value, every tie and its neighbours.
import Testing
import Trainer

struct HalfPrecisionTests {
    @Test func widensEveryFloat16ExactlyAsFloat16Does() {
        var mismatches: [UInt16] = []
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let actual = HalfPrecision.float(float16: bits)
            let same = expected.isNaN ? actual.isNaN : actual.bitPattern == expected.bitPattern
            if !same { mismatches.append(bits) }
        }
        #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(5))")
    }

    @Test func narrowsAsFloat16DoesAtEveryValueTieAndNeighbour() {
        var mismatches: [Float] = []
        func check(_ value: Float) {
            let expected = Float16(value)
            let actual = HalfPrecision.float16(value)
            let same = expected.isNaN ? Float16(bitPattern: actual).isNaN : actual == expected.bitPattern
            if !same && mismatches.count < 5 { mismatches.append(value) }
        }
        for bits in 0...UInt16(0x7bff) {  // every finite non-negative float16 and the next one up
            let low = Float(Float16(bitPattern: bits))
            let high = Float(Float16(bitPattern: bits + 1))
            let tie = (low + high) / 2  // exact in float32
            for value in [low, tie, tie.nextDown, tie.nextUp, low.nextUp, high.nextDown] {
                check(value)
                check(-value)
            }
        }
        for value: Float in [65504, 65519.99, 65520, 65536, 1e10, .infinity, .nan, 1e-10, 0x1p-25, 0x1p-24] {
            check(value)
            check(-value)
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200_000 { check(Float(bitPattern: generator.next())) }
        #expect(mismatches.isEmpty, "first mismatches: \(mismatches.map(\.bitPattern))")
    }

    @Test func bfloat16RoundTripsThroughNarrowing() {
        let finite = (0...UInt16.max).filter { $0 & 0x7f80 != 0x7f80 }
        let broken = finite.filter { HalfPrecision.bfloat16(HalfPrecision.float(bfloat16: $0)) != $0 }
        #expect(broken.isEmpty, "first: \(broken.prefix(5))")
    }
}
