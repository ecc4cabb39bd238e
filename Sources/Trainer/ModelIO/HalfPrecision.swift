// float16 and bfloat16 <-> float32. Widening is exact; narrowing rounds to nearest even, as
// numpy, XLA and transformers' to_fp16/to_bf16 do (so exports equal dalle-mini's own casts).

/// Conversions between float32 and the two 16-bit float formats of flax files.
public enum HalfPrecision {
    /// IEEE binary16 bits -> float32 (exact), without branches so that loops vectorize (the
    /// library conversion is a call per element without F16C): the exponent is rebiased; infinity
    /// and NaN get the rest of the exponent range; subnormals are renormalized by a float subtract.
    @inline(__always)
    public static func float(float16 bits: UInt16) -> Float {
        let half = UInt32(bits)
        let magnitude = (half & 0x7fff) << 13
        let exponent = magnitude & 0x0f80_0000
        let rebiased = magnitude &+ 0x3800_0000  // (127 - 15) << 23
        let special = rebiased &+ 0x3800_0000  // infinity, NaN: exponent all ones
        let subnormal = (Float(bitPattern: rebiased &+ 0x0080_0000) - Float(bitPattern: 0x3880_0000))
            .bitPattern
        let result = exponent == 0x0f80_0000 ? special : (exponent == 0 ? subnormal : rebiased)
        return Float(bitPattern: result | (half & 0x8000) << 16)
    }

    /// bfloat16 bits (the upper half of a float32) -> float32 (exact).
    @inline(__always)
    public static func float(bfloat16 bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// float32 -> IEEE binary16 bits, rounded to nearest even (overflow gives infinity, NaN the
    /// quiet NaN 0x7e00), without branches so that loops vectorize. Normal results round by adding
    /// 0xfff plus the lowest kept bit before the shift; subnormal ones by a float add that aligns
    /// the 10 kept bits at the bottom of a float (the FPU rounds to nearest even).
    @inline(__always)
    public static func float16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = bits & 0x8000_0000
        let magnitude = bits ^ sign
        let special: UInt32 = magnitude > 0x7f80_0000 ? 0x7e00 : 0x7c00
        let magic: UInt32 = 0x3f00_0000  // ((127 - 15) + (23 - 10) + 1) << 23
        let subnormal = (Float(bitPattern: magnitude) + Float(bitPattern: magic)).bitPattern &- magic
        let odd = (magnitude >> 13) & 1
        let normal = (magnitude &+ 0xc800_0000 &+ 0xfff &+ odd) >> 13  // exponent - (127 - 15)
        let result =
            magnitude >= 0x4780_0000 ? special : (magnitude < 0x3880_0000 ? subnormal : normal)
        return UInt16(truncatingIfNeeded: result | sign >> 16)
    }

    /// float32 -> bfloat16 bits, rounded to nearest even; NaN stays a (quiet) NaN.
    @inline(__always)
    public static func bfloat16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let rounded = bits &+ 0x7fff &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    /// Widens `count` 16-bit values of `dtype` (float16 or bfloat16) at `source` into `destination`.
    public static func widen(
        _ destination: UnsafeMutablePointer<Float>, from source: UnsafeRawPointer, count: Int,
        dtype: FlaxDType
    ) {
        precondition(dtype == .float16 || dtype == .bfloat16, "widen from \(dtype)")
        if dtype == .float16 {
            for i in 0..<count {
                destination[i] = float(float16: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            }
        } else {
            for i in 0..<count {
                destination[i] = float(bfloat16: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            }
        }
    }

    /// Narrows `count` floats at `source` into 16-bit values of `dtype` at `destination`.
    public static func narrow(
        _ destination: UnsafeMutablePointer<UInt16>, from source: UnsafePointer<Float>, count: Int,
        dtype: FlaxDType
    ) {
        precondition(dtype == .float16 || dtype == .bfloat16, "narrow to \(dtype)")
        if dtype == .float16 {
            for i in 0..<count { destination[i] = float16(source[i]) }
        } else {
            for i in 0..<count { destination[i] = bfloat16(source[i]) }
        }
    }

    /// The index of the first NaN or infinity among `count` floats, or nil when all are finite.
    public static func firstNonFinite(_ values: UnsafePointer<Float>, count: Int) -> Int? {
        let chunk = 4096
        let exponent: UInt32 = 0x7f80_0000
        var start = 0
        while start < count {
            let end = min(start + chunk, count)
            // A max over the exponent bits vectorizes; only a chunk that holds a non-finite value
            // is searched element by element.
            let largest = values.withMemoryRebound(to: UInt32.self, capacity: end) { bits in
                var largest: UInt32 = 0
                for i in start..<end { largest = max(largest, bits[i] & exponent) }
                return largest
            }
            if largest == exponent { return (start..<end).first { !values[$0].isFinite } }
            start = end
        }
        return nil
    }
}
