import DetoxQuantization
import DetoxTensor
import Foundation
import Testing

// MARK: - Parity with bitsandbytes

/// Codes, scales and dequantized values against bitsandbytes 0.50.2 on CPU, bit for bit.
@Suite("4-bit quantization parity with bitsandbytes")
struct QuantizedTensor4BitParityTests {
    @Test("code tables, boundaries and the 8-bit dynamic map are bitsandbytes' f32 values")
    func tables() throws {
        let fixtures = try QuantizationFixtures.load()
        #expect(bits(FourBitType.nf4.codeTable) == bits(try fixtures.floats("table.nf4")))
        #expect(bits(FourBitType.fp4.codeTable) == bits(try fixtures.floats("table.fp4")))
        #expect(bits(FourBitType.nf4.boundaries) == bits(try fixtures.floats("table.nf4.bounds")))
        #expect(bits(FourBitType.fp4.boundaries) == bits(try fixtures.floats("table.fp4.bounds")))
        let tables = try #require(fixtures.meta["tables"] as? [String: Any])
        #expect(FourBitType.nf4.sortOrder.map(Int.init) == (tables["nf4_order"] as? [Int]))
        #expect(FourBitType.fp4.sortOrder.map(Int.init) == (tables["fp4_order"] as? [Int]))
        #expect(bits(DynamicQuantizationMap.values) == bits(try fixtures.floats("table.dynamic")))
    }

    @Test("packed codes and f32 absmax are identical to quantize_4bit (no double quantization)")
    func plainCodesAndAbsmax() throws {
        let fixtures = try QuantizationFixtures.load()
        var checked = 0
        try #require(!(try fixtures.cases).isEmpty, "the fixture has no cases")
        for testCase in try fixtures.cases {
            let input = try fixtures.tensor("\(testCase.name).input").reshaped(testCase.shape)
            for variant in testCase.variants where !variant.doubleQuantization {
                let q = try QuantizedTensor4Bit.quantize(
                    input, type: try FourBitType(name: variant.type), blocksize: testCase.blocksize)
                let packed = try fixtures.bytes("\(variant.key).packed")
                #expect(
                    firstDifference(q.packed, packed) == nil,
                    "\(variant.key) packed: \(firstDifference(q.packed, packed) ?? "")")
                let absmax = try fixtures.floats("\(variant.key).absmax")
                #expect(firstDifference(bits(q.absmax()), bits(absmax)) == nil, "\(variant.key) absmax")
                guard case .float32 = q.scales else {
                    Issue.record("\(variant.key): scales should be f32")
                    continue
                }
                checked += 1
            }
        }
        #expect(checked == 14)
    }

    @Test("double quantization: 8-bit codes, nested absmax, offset and decoded absmax are identical")
    func doubleQuantizedScales() throws {
        let fixtures = try QuantizationFixtures.load()
        var checked = 0
        try #require(!(try fixtures.cases).isEmpty, "the fixture has no cases")
        for testCase in try fixtures.cases {
            let input = try fixtures.tensor("\(testCase.name).input").reshaped(testCase.shape)
            for variant in testCase.variants where variant.doubleQuantization {
                let q = try QuantizedTensor4BitParityTests.quantize(input, testCase, variant)
                let packed = try fixtures.bytes("\(variant.key).packed")
                #expect(firstDifference(q.packed, packed) == nil, "\(variant.key) packed")
                guard case .doubleQuantized(let nested) = q.scales else {
                    Issue.record("\(variant.key): scales should be double-quantized")
                    continue
                }
                let codes = try fixtures.bytes("\(variant.key).qabsmax")
                #expect(
                    firstDifference(nested.codes, codes) == nil,
                    "\(variant.key) 8-bit codes: \(firstDifference(nested.codes, codes) ?? "")")
                let nestedAbsmax = try fixtures.floats("\(variant.key).nested_absmax")
                #expect(bits(nested.nestedAbsmax) == bits(nestedAbsmax), "\(variant.key) nested absmax")
                let offset = try fixtures.floats("\(variant.key).offset")
                #expect(
                    [nested.offset.bitPattern] == bits(offset), "\(variant.key) offset \(nested.offset) vs \(offset)")
                let absmax = try fixtures.floats("\(variant.key).absmax")
                #expect(firstDifference(bits(q.absmax()), bits(absmax)) == nil, "\(variant.key) decoded absmax")
                checked += 1
            }
        }
        #expect(checked == 14)
    }

    @Test("dequantized values are bit-identical to bitsandbytes' reference dequantize_4bit")
    func dequantizedValues() throws {
        let fixtures = try QuantizationFixtures.load()
        try #require(!(try fixtures.cases).isEmpty, "the fixture has no cases")
        for testCase in try fixtures.cases {
            let input = try fixtures.tensor("\(testCase.name).input").reshaped(testCase.shape)
            for variant in testCase.variants {
                let q = try QuantizedTensor4BitParityTests.quantize(input, testCase, variant)
                let dequantized = q.dequantize()
                #expect(dequantized.shape == testCase.shape)
                let expected = try fixtures.floats("\(variant.key).dequant")
                let actual = dequantized.values
                #expect(
                    firstDifference(bits(actual), bits(expected)) == nil,
                    "\(variant.key): \(firstDifference(actual, expected) ?? "sign of zero")")
            }
        }
    }

    /// bitsandbytes' AVX-512 CPU kernel reads absmax per row, so its output is wrong exactly when
    /// the last dimension is a multiple of 16 but not of the block size; elsewhere (and on CPUs
    /// without AVX-512, where its scalar kernel runs) it agrees, as values (the scalar path writes
    /// -0.0 for FP4 code 8), with the reference this target follows.
    @Test("bitsandbytes' CPU dequantize kernel differs from the reference only for row-misaligned blocks")
    func cpuKernelDifference() throws {
        let fixtures = try QuantizationFixtures.load()
        let capability = try #require(fixtures.meta["cpu_capability"] as? String)
        let avx512 = capability.hasPrefix("AVX512")
        try #require(!(try fixtures.cases).isEmpty, "the fixture has no cases")
        for testCase in try fixtures.cases {
            let last = testCase.shape.last ?? 0
            let misaligned = avx512 && testCase.shape.count > 1 && last % 16 == 0 && last % testCase.blocksize != 0
            for variant in testCase.variants {
                #expect(variant.cpuKernelMatchesReference == !misaligned, "\(variant.key)")
            }
        }
        guard avx512 else { return }
        let cpu = try fixtures.floats("weight64x96.nf4.plain.dequant_cpu")
        let input = try fixtures.tensor("weight64x96.input").reshaped([64, 96])
        let q = try QuantizedTensor4Bit.quantize(input, type: .nf4)
        #expect(q.dequantize().values != cpu)
        // The CPU kernel's value for row r, column c uses absmax[r + c / 64] instead of the flat block.
        let absmax = q.absmax()
        let codes = q.codes()
        var emulated = [Float](repeating: 0, count: 64 * 96)
        for r in 0..<64 {
            for c in 0..<96 {
                emulated[r * 96 + c] = FourBitType.nf4.codeTable[Int(codes[r * 96 + c])] * absmax[r + c / 64]
            }
        }
        #expect(bits(emulated) == bits(cpu))
    }

    @Test("PyTorch's f32 mean is reproduced bit for bit for 1, 2 and 3 threads")
    func torchMean() throws {
        let fixtures = try QuantizationFixtures.load()
        let entries = try #require(fixtures.meta["torch_mean"] as? [[String: Any]])
        try #require(entries.count == 18)
        for entry in entries {
            let count = try #require(entry["count"] as? Int)
            let threads = try #require(entry["threads"] as? Int)
            let meanBits = try #require(entry["mean_bits"] as? Int)
            let sumBits = try #require(entry["sum_bits"] as? Int)
            let values = (0..<count).map { Float(($0 * 7919) % 10007) * 0x1p-10 }
            let sum = values.withUnsafeBufferPointer { TorchFloatSum.sum($0, threads: threads) }
            let mean = values.withUnsafeBufferPointer { TorchFloatSum.mean($0, threads: threads) }
            #expect(sum.bitPattern == UInt32(sumBits), "sum of \(count) with \(threads) threads: \(sum)")
            #expect(mean.bitPattern == UInt32(meanBits), "mean of \(count) with \(threads) threads: \(mean)")
        }
    }

    static func quantize(
        _ input: Tensor, _ testCase: QuantizationFixtures.Case, _ variant: QuantizationFixtures.Variant
    ) throws -> QuantizedTensor4Bit {
        try QuantizedTensor4Bit.quantize(
            input, type: try FourBitType(name: variant.type), blocksize: testCase.blocksize,
            doubleQuantization: variant.doubleQuantization)
    }
}
