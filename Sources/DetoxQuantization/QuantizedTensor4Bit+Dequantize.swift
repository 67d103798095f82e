import DetoxTensor

// MARK: - Dequantization

extension QuantizedTensor4Bit {
    /// The f32 tensor the codes stand for: `code[nibble] · absmax[flatIndex / blocksize]`, the
    /// values of bitsandbytes' reference `dequantize_4bit` (`backends/default/ops.py`), also what
    /// its CUDA kernel and its scalar CPU kernel compute.
    ///
    /// bitsandbytes 0.50.2's AVX-512 CPU kernel differs when the last dimension is a multiple of 16
    /// but not of `blocksize` (it reads the absmax per row, e.g. a 64×96 weight at block size 64);
    /// this follows the reference. Its scalar CPU kernel writes −0.0 for FP4 code 8 where this and
    /// the reference write +0.0.
    public func dequantize() -> Tensor {
        let n = count
        let result = Tensor.build(shape: shape) { out, _ in
            let target = UncheckedSendable(out)
            Parallel.forChunks(n) { start, end in
                self.dequantize(elements: start..<end, into: target.value + start)
            }
        }
        return result
    }

    /// Writes the dequantized values of the flat elements `range` to `destination[0..<range.count]`.
    ///
    /// The range may start and end anywhere (inside a block, inside a byte); this is how a 4-bit
    /// layer decodes a few rows of its weight at a time without a full f32 copy.
    package func dequantize(elements range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "element range \(range) outside 0..<\(count)")
        if range.isEmpty { return }
        let table = type.codeTable
        table.withUnsafeBufferPointer { tableBuffer in
            packed.withUnsafeBufferPointer { packedBuffer in
                // A non-empty range means a non-empty packed array; the code table is fixed.
                guard let code = tableBuffer.baseAddress, let bytes = packedBuffer.baseAddress else { return }
                var block = range.lowerBound / blocksize
                var i = range.lowerBound
                while i < range.upperBound {
                    let blockEnd = Swift.min(range.upperBound, (block + 1) * blocksize)
                    let scale = self.scale(ofBlock: block)
                    let out = destination - range.lowerBound
                    if i & 1 == 1 {
                        out[i] = code[Int(bytes[i >> 1] & 0x0F)] * scale
                        i += 1
                    }
                    while i + 1 < blockEnd {
                        let byte = bytes[i >> 1]
                        out[i] = code[Int(byte >> 4)] * scale
                        out[i + 1] = code[Int(byte & 0x0F)] * scale
                        i += 2
                    }
                    if i < blockEnd {
                        out[i] = code[Int(bytes[i >> 1] >> 4)] * scale
                        i += 1
                    }
                    block += 1
                }
            }
        }
    }

    /// The f32 scale of one block.
    @inline(__always)
    func scale(ofBlock block: Int) -> Float {
        switch scales {
        case .float32(let absmax): return absmax[block]
        case .doubleQuantized(let nested): return nested.value(at: block)
        }
    }
}
