// Allocation-free vector helpers over raw pointers: sums, dot products and a vectorized exp.
// Loops run 16 lanes at a time with a scalar tail.

/// exp(x) for 16 lanes (Cephes expf: range reduction by ln 2, degree-5 polynomial; ~1 ulp).
@inline(__always)
func vectorExp(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let clamped = x.clamped(lowerBound: SIMD16(repeating: -87.3), upperBound: SIMD16(repeating: 88.3))
    let n = (clamped * 1.442_695_04).rounded(.toNearestOrEven)
    var r = clamped - n * 0.693_359_375
    r = r + n * 2.121_944_4e-4
    var p = SIMD16<Float>(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_6e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_1e-1
    p = p * (r * r) + r + 1
    let exponent = (SIMD16<Int32>(truncatingIfNeeded: SIMD16<Int32>(n)) &+ 127) &<< 23
    return p * unsafeBitCast(exponent, to: SIMD16<Float>.self)
}

/// exp(x) for one value through the same polynomial as `vectorExp` (for tails).
@inline(__always)
func scalarExp(_ x: Float) -> Float { vectorExp(SIMD16(repeating: x))[0] }

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
