import DetoxQuantization
import DetoxTensor
import Testing

// MARK: - Errors and round trips

@Suite("Quantization errors and invariants")
struct QuantizationErrorTests {
    @Test("invalid block size, empty and non-finite input are typed errors")
    func inputErrors() {
        #expect(throws: QuantizationError.invalidBlocksize(expected: QuantizedTensor4Bit.validBlocksizes, actual: 48)) {
            try QuantizedTensor4Bit.quantize(Tensor.ones([96]), type: .nf4, blocksize: 48)
        }
        #expect(throws: QuantizationError.emptyTensor(shape: [0, 4])) {
            try QuantizedTensor4Bit.quantize(Tensor.zeros([0, 4]), type: .nf4)
        }
        var values = [Float](repeating: 1, count: 100)
        values[70] = .nan
        do {
            _ = try QuantizedTensor4Bit.quantize(Tensor(values), type: .fp4)
            Issue.record("NaN was quantized")
        } catch QuantizationError.nonFiniteValue(let index, let value) {
            #expect(index == 70 && value.isNaN)
        } catch {
            Issue.record("unexpected error \(error)")
        }
        values[70] = 1
        values[99] = -.infinity
        #expect(throws: QuantizationError.nonFiniteValue(index: 99, value: -.infinity)) {
            try QuantizedTensor4Bit.quantize(Tensor(values), type: .nf4)
        }
        #expect(throws: QuantizationError.unknownQuantType("int4")) { try FourBitType(name: "int4") }
    }

    @Test("components are checked when wrapped")
    func componentErrors() throws {
        #expect(throws: QuantizationError.componentCountMismatch(component: "packed codes", expected: 50, actual: 49)) {
            try QuantizedTensor4Bit(
                packed: [UInt8](repeating: 0, count: 49), shape: [100], type: .nf4, blocksize: 64,
                scales: .float32([1, 1]))
        }
        #expect(throws: QuantizationError.componentCountMismatch(component: "absmax", expected: 2, actual: 3)) {
            try QuantizedTensor4Bit(
                packed: [UInt8](repeating: 0, count: 50), shape: [100], type: .nf4, blocksize: 64,
                scales: .float32([1, 1, 1]))
        }
        #expect(throws: QuantizationError.componentCountMismatch(component: "nested absmax", expected: 2, actual: 1)) {
            try DoubleQuantizedAbsmax(codes: [UInt8](repeating: 0, count: 300), nestedAbsmax: [1], offset: 0)
        }
    }

    @Test("wrapping a quantized tensor's own components gives an equal tensor")
    func wrapRoundTrip() throws {
        var generator = SeededGenerator(seed: 3)
        let x = Tensor.randomNormal([10, 30], generator: &generator)
        let q = try QuantizedTensor4Bit.quantize(x, type: .nf4, blocksize: 32, doubleQuantization: true)
        let wrapped = try QuantizedTensor4Bit(
            packed: q.packed, shape: q.shape, type: q.type, blocksize: q.blocksize, scales: q.scales)
        #expect(wrapped == q)
        #expect(wrapped.dequantize().values == q.dequantize().values)
    }

    /// NF4's widest gap between neighbouring codes is −0.6962 − (−1) = 0.3038, so no value is off by
    /// more than half of it times its block's absmax (plus the double-quantization error of the
    /// absmax, bounded here by 1%).
    @Test("NF4 error is at most half the widest code gap times the block absmax (+1% for double quantization)")
    func errorBound() throws {
        var generator = SeededGenerator(seed: 11)
        let x = Tensor.randomNormal([4096], generator: &generator)
        for double in [false, true] {
            let q = try QuantizedTensor4Bit.quantize(x, type: .nf4, blocksize: 64, doubleQuantization: double)
            let y = q.dequantize().values
            let input = x.values
            for block in 0..<64 {
                let slice = input[(block * 64)..<(block * 64 + 64)]
                let absmax = slice.map(abs).max() ?? 0
                for i in slice.indices {
                    #expect(abs(y[i] - input[i]) <= absmax * (0.3039 / 2 + 0.01))
                }
            }
        }
    }

    @Test("dequantizing an arbitrary element range equals the slice of the full tensor")
    func partialRanges() throws {
        var generator = SeededGenerator(seed: 5)
        let x = Tensor.randomNormal([7, 45], generator: &generator)
        let q = try QuantizedTensor4Bit.quantize(x, type: .fp4, blocksize: 32, doubleQuantization: true)
        let full = q.dequantize().values
        for range in [0..<315, 1..<2, 31..<33, 63..<64, 64..<65, 17..<290, 314..<315] {
            var out = [Float](repeating: .nan, count: range.count)
            out.withUnsafeMutableBufferPointer { q.dequantize(elements: range, into: $0.baseAddress!) }
            #expect(bits(out) == bits(Array(full[range])), "range \(range)")
        }
    }
}
