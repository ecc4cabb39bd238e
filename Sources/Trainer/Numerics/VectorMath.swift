// Allocation-free vector helpers over raw pointers: sums, maxima, dot products and a vectorized
// exp and erf. Loops run 16 lanes at a time with a scalar tail.

/// exp(x) (Cephes expf: range reduction by ln 2, degree-5 polynomial; ~1 ulp), written as
/// straight-line scalar code with selects and bit casts so that LLVM vectorizes loops over it
/// (Swift's generic SIMD rounding/conversion/clamping run lane by lane).
@inline(__always)
func fastExp(_ value: Float) -> Float {
    let x = value < -87.3 ? -87.3 : (value > 88.3 ? 88.3 : value)
    let shifted = x * 1.442_695_04 + 12_582_912  // 1.5 * 2^23: rounds to the nearest integer
    let n = shifted - 12_582_912
    var r = x - n * 0.693_359_375
    r = r + n * 2.121_944_4e-4
    var p: Float = 1.987_569_15e-4
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_6e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_1e-1
    p = p * (r * r) + r + 1
    let exponent = (Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000 &+ 127) &<< 23
    return p * Float(bitPattern: UInt32(bitPattern: exponent))
}

/// erf(x) (N. Juffa's erff: an odd polynomial for |x| <= 0.9277, else 1 - exp(poly(|x|)) with
/// the sign of x; ~1.2 ulp here without FMA, libm's erff ~1 ulp). Both branches are computed and
/// one is selected, so loops over it vectorize like `fastExp`.
@inline(__always)
func fastErf(_ x: Float) -> Float {
    let t = Float(bitPattern: x.bitPattern & 0x7FFF_FFFF)
    let s = x * x
    var small: Float = -5.967_617_03e-4
    small = small * s + 4.991_194_23e-3
    small = small * s - 2.676_813_49e-2
    small = small * s + 1.128_199_25e-1
    small = small * s - 3.761_253_36e-1
    small = small * s + 1.283_791_66e-1
    small = small * x + x
    let u = t > 4 ? 4 : t  // erf(4) rounds to 1 in Float
    var r: Float = -1.728_534_70e-5 * u + 3.831_971_26e-4
    r = r * (u * u) + (-3.883_964_38e-3 * u + 2.425_462_19e-2)
    r = r * u - 1.067_778_77e-1
    r = r * u - 6.348_466_87e-1
    r = r * u - 1.287_175_12e-1
    r = r * u - u
    let large = Float(bitPattern: (1 - fastExp(r)).bitPattern | (x.bitPattern & 0x8000_0000))
    return t > 0.927_734_375 ? large : small
}

@inline(__always)
func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
func store16(_ value: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: value, as: SIMD16<Float>.self)
}

enum VectorMath {
    /// Σ x[i].
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            acc += load16(x + i)
            i += 16
        }
        var total = acc.sum()
        while i < count {
            total += x[i]
            i += 1
        }
        return total
    }

    /// max_i x[i] (-infinity when count is 0).
    @inline(__always)
    static func maximum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        while i + 16 <= count {
            let v = load16(x + i)
            acc = acc.replacing(with: v, where: v .> acc)  // maxps; Swift.max does not vectorize
            i += 16
        }
        var peak = acc.max()
        while i < count {
            peak = max(peak, x[i])
            i += 1
        }
        return peak
    }

    /// max over i with mask[i] != 0 of x[i] (-infinity when none).
    @inline(__always)
    static func maskedMaximum(_ x: UnsafePointer<Float>, mask: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        while i + 16 <= count {
            let v = load16(x + i)
            acc = acc.replacing(with: v, where: (v .> acc) .& (load16(mask + i) .!= 0))
            i += 16
        }
        var peak = acc.max()
        while i < count {
            if mask[i] != 0 { peak = max(peak, x[i]) }
            i += 1
        }
        return peak
    }

    /// x[i] *= factor.
    @inline(__always)
    static func scale(_ x: UnsafeMutablePointer<Float>, by factor: Float, _ count: Int) {
        var i = 0
        while i + 16 <= count {
            store16(load16(x + i) * factor, x + i)
            i += 16
        }
        while i < count {
            x[i] *= factor
            i += 1
        }
    }

    /// Σ x[i] * y[i].
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            acc += load16(x + i) * load16(y + i)
            i += 16
        }
        var total = acc.sum()
        while i < count {
            total += x[i] * y[i]
            i += 1
        }
        return total
    }

    /// y[i] += x[i].
    @inline(__always)
    static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        while i + 16 <= count {
            store16(load16(y + i) + load16(x + i), y + i)
            i += 16
        }
        while i < count {
            y[i] += x[i]
            i += 1
        }
    }

    /// out[i] = a[i] * alpha + b[i] (`out` may alias `a` or `b`).
    @inline(__always)
    static func scaledAdd(
        out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, alpha: Float, _ b: UnsafePointer<Float>,
        _ count: Int
    ) {
        var i = 0
        while i + 16 <= count {
            store16(load16(a + i) * alpha + load16(b + i), out + i)
            i += 16
        }
        while i < count {
            out[i] = a[i] * alpha + b[i]
            i += 1
        }
    }
}
