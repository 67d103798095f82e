// MARK: - HalfPrecision

/// Exact bit-level conversions between f32 and the 16-bit float formats (IEEE binary16 "F16" and
/// bfloat16 "BF16").
///
/// They work on bit patterns rather than on `Float16`, which is not available on every platform
/// the package builds for. Widening is exact (subnormals, infinities and NaN payloads included);
/// narrowing rounds to nearest, ties to even, like PyTorch's `tensor.half()` and
/// `tensor.bfloat16()`.
public enum HalfPrecision {
    // MARK: F16

    /// The f32 bit pattern with the same value as the binary16 bit pattern `h`.
    @inline(__always)
    public static func float32Bits(fromFloat16Bits h: UInt16) -> UInt32 {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        var mantissa = UInt32(h & 0x03FF)
        if exponent == 0x1F {
            // Infinity or NaN: keep the payload in the top mantissa bits.
            return sign | 0x7F80_0000 | (mantissa << 13)
        }
        if exponent == 0 {
            if mantissa == 0 { return sign }
            // Subnormal: mantissa × 2⁻²⁴. Shift until the implicit bit appears.
            var biased: UInt32 = 127 - 15 + 1
            while mantissa & 0x0400 == 0 {
                mantissa <<= 1
                biased -= 1
            }
            return sign | (biased << 23) | ((mantissa & 0x03FF) << 13)
        }
        return sign | ((exponent + 127 - 15) << 23) | (mantissa << 13)
    }

    /// The binary16 bit pattern nearest to the f32 bit pattern `f` (ties to even; overflow to
    /// infinity; NaN stays NaN).
    @inline(__always)
    public static func float16Bits(fromFloat32Bits f: UInt32) -> UInt16 {
        let sign = UInt16(truncatingIfNeeded: (f >> 16) & 0x8000)
        let exponent = Int((f >> 23) & 0xFF)
        let mantissa = f & 0x007F_FFFF
        if exponent == 0xFF {
            if mantissa == 0 { return sign | 0x7C00 }
            return sign | 0x7E00 | UInt16(truncatingIfNeeded: mantissa >> 13)
        }
        let halfExponent = exponent - 127 + 15
        if halfExponent >= 0x1F { return sign | 0x7C00 }
        if halfExponent <= 0 {
            // Subnormal (or zero) in binary16: units of 2⁻²⁴.
            if halfExponent < -10 { return sign }
            let significand = mantissa | 0x0080_0000
            let shift = UInt32(14 - halfExponent)
            return sign | UInt16(truncatingIfNeeded: roundShift(significand, by: shift))
        }
        let combined = (UInt32(halfExponent) << 10) | (mantissa >> 13)
        let remainder = mantissa & 0x1FFF
        // A carry out of the mantissa correctly bumps the exponent (up to infinity).
        let rounded = remainder > 0x1000 || (remainder == 0x1000 && combined & 1 == 1) ? combined + 1 : combined
        return sign | UInt16(truncatingIfNeeded: rounded)
    }

    /// `value >> shift`, rounded to nearest with ties to even.
    @inline(__always)
    private static func roundShift(_ value: UInt32, by shift: UInt32) -> UInt32 {
        let quotient = value >> shift
        let remainder = value & ((1 << shift) - 1)
        let half: UInt32 = 1 << (shift - 1)
        if remainder > half || (remainder == half && quotient & 1 == 1) { return quotient + 1 }
        return quotient
    }

    // MARK: BF16

    /// The f32 bit pattern with the same value as the bfloat16 bit pattern `b`.
    @inline(__always)
    public static func float32Bits(fromBFloat16Bits b: UInt16) -> UInt32 { UInt32(b) << 16 }

    /// The bfloat16 bit pattern nearest to the f32 bit pattern `f` (ties to even; NaN stays a
    /// quiet NaN).
    @inline(__always)
    public static func bfloat16Bits(fromFloat32Bits f: UInt32) -> UInt16 {
        if f & 0x7FFF_FFFF > 0x7F80_0000 {
            return UInt16(truncatingIfNeeded: f >> 16) | 0x0040
        }
        let bias: UInt32 = 0x7FFF + ((f >> 16) & 1)
        return UInt16(truncatingIfNeeded: (f &+ bias) >> 16)
    }
}
