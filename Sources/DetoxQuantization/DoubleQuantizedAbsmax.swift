// Provenance: bitsandbytes 0.50.2 `functional.py` `quantize_4bit(compress_statistics=True)` and
// `quantize_blockwise`/`dequantize_blockwise`, whose CPU kernels are `csrc/cpu_ops.cpp`
// `quantize_cpu_impl` and `dequantizeBlockwise8bitCpu`.

// MARK: - DoubleQuantizedAbsmax

/// Block scales stored with double quantization: 8 bits per scale instead of 32.
///
/// `offset` is the mean of the f32 scales (rounded as PyTorch's `mean`); the centred scales
/// `absmax - offset` are quantized blockwise, 256 per block, with the 8-bit dynamic map
/// (``DynamicQuantizationMap``): each nested block keeps its own f32 `nestedAbsmax`, and each
/// scale becomes the code of its value divided by that. A scale decodes as
/// `code[codes[i]] · nestedAbsmax[i / 256] + offset`, two f32 operations, as bitsandbytes does.
public struct DoubleQuantizedAbsmax: Sendable, Equatable {
    /// Scales per nested block (bitsandbytes fixes this at 256 for 4-bit weights).
    public static let nestedBlocksize = 256

    /// One 8-bit code per 4-bit block.
    public let codes: [UInt8]
    /// One f32 absmax per 256 codes (the last block may be shorter).
    public let nestedAbsmax: [Float]
    /// The mean of the original scales, added back after decoding.
    public let offset: Float

    /// Wraps stored components, checking that `nestedAbsmax` has one value per 256 codes.
    public init(codes: [UInt8], nestedAbsmax: [Float], offset: Float) throws {
        let expected = (codes.count + Self.nestedBlocksize - 1) / Self.nestedBlocksize
        guard nestedAbsmax.count == expected else {
            throw QuantizationError.componentCountMismatch(
                component: "nested absmax", expected: expected, actual: nestedAbsmax.count)
        }
        self.codes = codes
        self.nestedAbsmax = nestedAbsmax
        self.offset = offset
    }

    init(uncheckedCodes codes: [UInt8], nestedAbsmax: [Float], offset: Float) {
        self.codes = codes
        self.nestedAbsmax = nestedAbsmax
        self.offset = offset
    }

    /// Double-quantizes f32 scales as `quantize_4bit(..., compress_statistics=True)` does on CPU.
    ///
    /// - Parameter meanThreads: PyTorch's thread count for the mean (matters from 32768 scales
    ///   on; see ``TorchFloatSum``).
    public init(quantizing absmax: [Float], meanThreads: Int = 1) {
        let offset = absmax.withUnsafeBufferPointer { TorchFloatSum.mean($0, threads: meanThreads) }
        var centred = absmax
        for i in centred.indices { centred[i] -= offset }
        let (codes, nested) = Self.quantizeBlockwise8Bit(centred, blocksize: Self.nestedBlocksize)
        self.init(uncheckedCodes: codes, nestedAbsmax: nested, offset: offset)
    }

    /// Number of scales.
    public var count: Int { codes.count }

    /// Scale `index`, decoded.
    @inline(__always)
    public func value(at index: Int) -> Float {
        DynamicQuantizationMap.values[Int(codes[index])] * nestedAbsmax[index / Self.nestedBlocksize] + offset
    }

    /// All scales, decoded.
    public func decoded() -> [Float] {
        let table = DynamicQuantizationMap.values
        var result = [Float](repeating: 0, count: codes.count)
        for i in 0..<codes.count {
            let scaled = table[Int(codes[i])] * nestedAbsmax[i / Self.nestedBlocksize]
            result[i] = scaled + offset
        }
        return result
    }

    /// Bytes held: one per code, four per nested absmax, four for the offset.
    public var byteCount: Int { codes.count + 4 * nestedAbsmax.count + 4 }

    // MARK: - 8-bit blockwise quantization (CPU kernel)

    /// `quantize_blockwise(values, blocksize)` with the dynamic map, as bitsandbytes' CPU kernel
    /// computes it: per block the absmax `max |v|` (codes 0 for an all-zero block), then each code
    /// read from the 65536-bin table at `v · (1 / absmax)` (not an exact nearest-code search).
    static func quantizeBlockwise8Bit(_ values: [Float], blocksize: Int) -> (codes: [UInt8], absmax: [Float]) {
        let n = values.count
        let blocks = (n + blocksize - 1) / blocksize
        var codes = [UInt8](repeating: 0, count: n)
        var absmax = [Float](repeating: 0, count: blocks)
        let lookup = DynamicQuantizationMap.lookup
        values.withUnsafeBufferPointer { input in
            lookup.withUnsafeBufferPointer { table in
                codes.withUnsafeMutableBufferPointer { out in
                    for block in 0..<blocks {
                        let start = block * blocksize
                        let end = Swift.min(n, start + blocksize)
                        var maximum: Float = 0
                        for i in start..<end { maximum = Swift.max(maximum, Swift.abs(input[i])) }
                        absmax[block] = maximum
                        if maximum == 0 { continue }
                        let inverse = 1 / maximum
                        for i in start..<end {
                            out[i] = table[DynamicQuantizationMap.lookupIndex(input[i] * inverse)]
                        }
                    }
                }
            }
        }
        return (codes, absmax)
    }
}
