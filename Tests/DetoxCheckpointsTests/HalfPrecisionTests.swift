import DetoxCheckpoints
import Testing

// MARK: - 16-bit float conversions

@Suite("f16 and bf16 bit conversions")
struct HalfPrecisionTests {
    @Test("every f16 bit pattern widens exactly and narrows back to itself")
    func f16Exhaustive() {
        var mismatches = 0
        for pattern in 0...UInt16.max {
            let widened = HalfPrecision.float32Bits(fromFloat16Bits: pattern)
            let value = Float(bitPattern: widened)
            let exponent = pattern & 0x7C00
            let mantissa = pattern & 0x03FF
            if exponent == 0x7C00 && mantissa != 0 {
                // NaN: sign and payload kept.
                if !value.isNaN || (widened >> 31) != UInt32(pattern >> 15)
                    || (widened & 0x7F_FFFF) != UInt32(mantissa) << 13
                {
                    mismatches += 1
                }
                continue
            }
            #if !(os(macOS) && arch(x86_64))
                if value.bitPattern != Float(Float16(bitPattern: pattern)).bitPattern { mismatches += 1 }
            #endif
            if HalfPrecision.float16Bits(fromFloat32Bits: widened) != pattern { mismatches += 1 }
        }
        #expect(mismatches == 0)
        #expect(Float(bitPattern: HalfPrecision.float32Bits(fromFloat16Bits: 0x0001)) == 0x1p-24)
        #expect(Float(bitPattern: HalfPrecision.float32Bits(fromFloat16Bits: 0x03FF)) == 1023 * 0x1p-24)
        #expect(Float(bitPattern: HalfPrecision.float32Bits(fromFloat16Bits: 0x7C00)) == .infinity)
        #expect(Float(bitPattern: HalfPrecision.float32Bits(fromFloat16Bits: 0xFBFF)) == -65504)
    }

    @Test("f32 → f16 rounds to nearest, ties to even")
    func f16Narrowing() {
        let cases: [(Float, UInt16)] = [
            (1 + 0x1p-11, 0x3C00), (1 + 3 * 0x1p-11, 0x3C02), (65504, 0x7BFF), (65519.99, 0x7BFF),
            (65520, 0x7C00), (1e-8, 0x0000), (0x1p-25, 0x0000), (0x1.000002p-25, 0x0001), (3e-8, 0x0001),
            (3 * 0x1p-25, 0x0002), (-0.0, 0x8000), (.infinity, 0x7C00), (-1e10, 0xFC00),
            (0x1.FFCp-15, 0x0400), // largest subnormal + rounding carries into the smallest normal
        ]
        for (value, expected) in cases {
            #expect(HalfPrecision.float16Bits(fromFloat32Bits: value.bitPattern) == expected, "\(value)")
        }
        #expect(HalfPrecision.float16Bits(fromFloat32Bits: Float.nan.bitPattern) & 0x7FFF > 0x7C00)

        #if !(os(macOS) && arch(x86_64))
            var generator = SystemRandomNumberGenerator()
            var mismatches = 0
            for _ in 0..<200_000 {
                let bits = UInt32.random(in: 0...UInt32.max, using: &generator)
                let value = Float(bitPattern: bits)
                if value.isNaN { continue }
                if HalfPrecision.float16Bits(fromFloat32Bits: bits) != Float16(value).bitPattern { mismatches += 1 }
            }
            // Concentrate on the f16 range too, where rounding is most visible.
            for _ in 0..<200_000 {
                let value = Float.random(in: -70000...70000, using: &generator) * (Bool.random() ? 1 : 0x1p-20)
                if HalfPrecision.float16Bits(fromFloat32Bits: value.bitPattern) != Float16(value).bitPattern {
                    mismatches += 1
                }
            }
            #expect(mismatches == 0)
        #endif
    }

    @Test("f32 → bf16 rounds to nearest, ties to even, and widens exactly")
    func bf16() {
        let cases: [(Float, UInt16)] = [
            (1, 0x3F80), (1 + 0x1p-8, 0x3F80), (1 + 3 * 0x1p-8, 0x3F82), (1 + 0x1p-8 + 0x1p-20, 0x3F81),
            (-0.0, 0x8000), (.infinity, 0x7F80), (.greatestFiniteMagnitude, 0x7F80), (.leastNonzeroMagnitude, 0x0000),
        ]
        for (value, expected) in cases {
            #expect(HalfPrecision.bfloat16Bits(fromFloat32Bits: value.bitPattern) == expected, "\(value)")
        }
        let nan = HalfPrecision.bfloat16Bits(fromFloat32Bits: Float.nan.bitPattern)
        #expect(Float(bitPattern: HalfPrecision.float32Bits(fromBFloat16Bits: nan)).isNaN)
        // A signalling NaN whose payload sits only in the low bits must not become infinity.
        #expect(
            Float(
                bitPattern: HalfPrecision.float32Bits(
                    fromBFloat16Bits: HalfPrecision.bfloat16Bits(fromFloat32Bits: 0x7F80_0001))
            ).isNaN)

        var mismatches = 0
        for pattern in 0...UInt16.max {
            let widened = HalfPrecision.float32Bits(fromBFloat16Bits: pattern)
            if Float(bitPattern: widened).isNaN { continue }
            if HalfPrecision.bfloat16Bits(fromFloat32Bits: widened) != pattern { mismatches += 1 }
        }
        // Random finite values below the overflow threshold: the result is one of the two
        // neighbours and the nearer one.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100_000 {
            let value = Float(bitPattern: UInt32.random(in: 0...0x7F7E_FFFF, using: &generator))
            let rounded = HalfPrecision.bfloat16Bits(fromFloat32Bits: value.bitPattern)
            let down = Float(bitPattern: value.bitPattern & 0xFFFF_0000)
            let up = Float(bitPattern: (value.bitPattern & 0xFFFF_0000) + 0x1_0000)
            let result = Float(bitPattern: HalfPrecision.float32Bits(fromBFloat16Bits: rounded))
            if result != down && result != up { mismatches += 1 }
            if abs(Double(result) - Double(value))
                > min(abs(Double(down) - Double(value)), abs(Double(up) - Double(value)))
            {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
    }
}
