// A hash of the exact bits of a Float buffer, to compare replicas across ranks in tests.

/// FNV-1a over the bit patterns of Floats.
public enum BitsHash {
    /// The 64-bit FNV-1a hash of the bits of every element, in order.
    public static func fnv1a(_ buffer: UnsafeMutableBufferPointer<Float>) -> UInt64 {
        var hash = UInt64(14_695_981_039_346_656_037)
        for value in buffer { hash = (hash ^ UInt64(value.bitPattern)) &* 1_099_511_628_211 }
        return hash
    }
}
