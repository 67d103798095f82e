// Provenance: bitsandbytes 0.50.2 `functional.py` `quantize_4bit`/`dequantize_4bit` and the kernels
// that run on CPU: `backends/default/ops.py` (`quantize_4bit`, `_dequantize_4bit_compute`).

import DetoxTensor

// MARK: - QuantizedTensor4Bit

/// A tensor stored as 4-bit codes with one scale per block, bit-compatible with bitsandbytes.
///
/// The tensor is flattened and cut into blocks of `blocksize` values (the last block may be
/// shorter). Each block keeps its absmax `max |x|`; each value becomes the code of the table entry
/// nearest to `x / absmax` (``FourBitType``). Two codes share a byte, the first (even index) in
/// the high nibble; an odd count is padded with the code of 0. The scales are kept as f32, or
/// double-quantized to 8 bits (``DoubleQuantizedAbsmax``).
///
/// ```swift
/// let q = try QuantizedTensor4Bit.quantize(weight, type: .nf4, blocksize: 64, doubleQuantization: true)
/// let approx = q.dequantize()          // same shape, f32
/// print(q.byteCount)                   // ≈ 0.516 bytes per value
/// ```
///
/// Packed codes, scales and dequantized values are identical to `quantize_4bit`/`dequantize_4bit`
/// of bitsandbytes 0.50.2 on CPU, including its rounding: a full block is scaled by
/// `x · (1 / absmax)`, the last partial block by `x / absmax`; a value exactly between two codes
/// takes the lower one; a full block of zeros keeps absmax 0, a partial last block of zeros keeps
/// absmax `Float(1e-38)`.
public struct QuantizedTensor4Bit: Sendable, Equatable {
    /// The block sizes bitsandbytes accepts for 4-bit quantization.
    public static let validBlocksizes = [32, 64, 128, 256, 512, 1024, 2048, 4096]

    /// The per-block scales.
    public enum Scales: Sendable, Equatable {
        /// One f32 absmax per block.
        case float32([Float])
        /// 8-bit codes with nested f32 absmax and an offset.
        case doubleQuantized(DoubleQuantizedAbsmax)
    }

    /// Shape of the original tensor.
    public let shape: [Int]
    /// NF4 or FP4.
    public let type: FourBitType
    /// Values per block.
    public let blocksize: Int
    /// `⌈count / 2⌉` bytes, two codes each (first code in the high nibble).
    public let packed: [UInt8]
    /// The block scales.
    public let scales: Scales

    /// Number of values.
    public var count: Int { Tensor.elementCount(of: shape) }
    /// Number of blocks, `⌈count / blocksize⌉`.
    public var blockCount: Int { (count + blocksize - 1) / blocksize }
    /// Whether the scales are double-quantized.
    public var isDoubleQuantized: Bool {
        if case .doubleQuantized = scales { return true }
        return false
    }

    /// Bytes this tensor occupies: the packed codes plus the scales (4 per block; or, double
    /// quantized, 1 per block + 4 per 256 blocks + 4 for the offset). The code tables are
    /// constants of the format and not counted.
    public var byteCount: Int {
        switch scales {
        case .float32(let absmax): return packed.count + 4 * absmax.count
        case .doubleQuantized(let nested): return packed.count + nested.byteCount
        }
    }

    // MARK: Creation

    /// Wraps stored components (e.g. read from a checkpoint), checking their sizes.
    public init(packed: [UInt8], shape: [Int], type: FourBitType, blocksize: Int, scales: Scales) throws {
        try Self.validate(blocksize: blocksize)
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw QuantizationError.shapeMismatch(what: "quantized tensor shape", expected: [], actual: shape)
        }
        let count = Tensor.elementCount(of: shape)
        guard packed.count == (count + 1) / 2 else {
            throw QuantizationError.componentCountMismatch(
                component: "packed codes", expected: (count + 1) / 2, actual: packed.count)
        }
        let blocks = (count + blocksize - 1) / blocksize
        let scaleCount: Int
        switch scales {
        case .float32(let absmax): scaleCount = absmax.count
        case .doubleQuantized(let nested): scaleCount = nested.count
        }
        guard scaleCount == blocks else {
            throw QuantizationError.componentCountMismatch(component: "absmax", expected: blocks, actual: scaleCount)
        }
        self.init(unchecked: packed, shape: shape, type: type, blocksize: blocksize, scales: scales)
    }

    init(unchecked packed: [UInt8], shape: [Int], type: FourBitType, blocksize: Int, scales: Scales) {
        self.packed = packed
        self.shape = shape
        self.type = type
        self.blocksize = blocksize
        self.scales = scales
    }

    static func validate(blocksize: Int) throws {
        guard validBlocksizes.contains(blocksize) else {
            throw QuantizationError.invalidBlocksize(expected: validBlocksizes, actual: blocksize)
        }
    }

    /// Quantizes `tensor` as `bitsandbytes.functional.quantize_4bit` does on CPU.
    ///
    /// - Parameters:
    ///   - type: `.nf4` or `.fp4`.
    ///   - blocksize: one of ``validBlocksizes``; 64 by default.
    ///   - doubleQuantization: quantize the scales too (`compress_statistics=True`).
    ///   - meanThreads: PyTorch's thread count for the scales' mean (see ``TorchFloatSum``); it only
    ///     matters from 32768 blocks on.
    /// - Throws: ``QuantizationError/invalidBlocksize(expected:actual:)``,
    ///   ``QuantizationError/emptyTensor(shape:)``, ``QuantizationError/nonFiniteValue(index:value:)``.
    public static func quantize(
        _ tensor: Tensor, type: FourBitType, blocksize: Int = 64, doubleQuantization: Bool = false,
        meanThreads: Int = 1
    ) throws -> QuantizedTensor4Bit {
        try validate(blocksize: blocksize)
        let n = tensor.count
        guard n > 0 else { throw QuantizationError.emptyTensor(shape: tensor.shape) }
        let input = tensor.storage.buffer
        for i in 0..<n where !input[i].isFinite {
            throw QuantizationError.nonFiniteValue(index: i, value: input[i])
        }
        let blocks = (n + blocksize - 1) / blocksize
        var packed = [UInt8](repeating: 0, count: (n + 1) / 2)
        var absmax = [Float](repeating: 0, count: blocks)
        let bounds = type.boundaries
        let order = type.sortOrder
        packed.withUnsafeMutableBufferPointer { packedBuffer in
            absmax.withUnsafeMutableBufferPointer { absmaxBuffer in
                bounds.withUnsafeBufferPointer { boundsBuffer in
                    order.withUnsafeBufferPointer { orderBuffer in
                        // All four are non-empty: `n > 0` was checked and the type's tables are fixed.
                        guard let packedBase = packedBuffer.baseAddress, let inputBase = input.baseAddress,
                            let boundsBase = boundsBuffer.baseAddress, let orderBase = orderBuffer.baseAddress
                        else { return }
                        let packedOut = UncheckedSendable(packedBase)
                        let absmaxOut = UncheckedSendable(absmaxBuffer)
                        let kernel = BlockKernel(
                            input: inputBase, count: n, blocksize: blocksize, bounds: boundsBase, order: orderBase)
                        Parallel.forChunks(blocks, minimum: Swift.max(1, Parallel.minimumParallelCount / blocksize)) {
                            first, last in
                            for block in first..<last {
                                absmaxOut.value[block] = kernel.quantize(block: block, into: packedOut.value)
                            }
                        }
                    }
                }
            }
        }
        let scales: Scales =
            doubleQuantization
            ? .doubleQuantized(DoubleQuantizedAbsmax(quantizing: absmax, meanThreads: meanThreads))
            : .float32(absmax)
        return QuantizedTensor4Bit(
            unchecked: packed, shape: tensor.shape, type: type, blocksize: blocksize, scales: scales)
    }

    // MARK: Reading

    /// The f32 scale of each block (decoded when double-quantized).
    public func absmax() -> [Float] {
        switch scales {
        case .float32(let absmax): return absmax
        case .doubleQuantized(let nested): return nested.decoded()
        }
    }

    /// The 4-bit code of every value, unpacked (one per byte, `count` of them).
    public func codes() -> [UInt8] {
        (0..<count).map { i in i & 1 == 0 ? packed[i >> 1] >> 4 : packed[i >> 1] & 0x0F }
    }
}

// MARK: - Block kernel

/// Quantizes one block: absmax, scaling, nearest code by counting boundaries, packing.
private struct BlockKernel {
    let input: UnsafePointer<Float>
    let count: Int
    let blocksize: Int
    let bounds: UnsafePointer<Float>
    let order: UnsafePointer<UInt8>

    /// Smallest divisor PyTorch uses for a block (`absmax.clamp(min=1e-38)` in f32).
    static let minimumAbsmax = Float(1e-38 as Double)

    /// Writes the block's codes into `packed` and returns the absmax to store.
    @inline(__always)
    func quantize(block: Int, into packed: UnsafeMutablePointer<UInt8>) -> Float {
        let start = block * blocksize
        let end = Swift.min(count, start + blocksize)
        var maximum: Float = 0
        for i in start..<end { maximum = Swift.max(maximum, Swift.abs(input[i])) }
        let isFull = end - start == blocksize
        let divisor = Swift.max(maximum, Self.minimumAbsmax)
        // Full blocks multiply by the reciprocal; the partial last block divides (as the
        // reference does), and stores its clamped absmax.
        let reciprocal = 1 / divisor
        var i = start
        while i < end {
            let high = code(scaled(input[i], isFull: isFull, reciprocal: reciprocal, divisor: divisor))
            let low: UInt8
            if i + 1 < end {
                low = code(scaled(input[i + 1], isFull: isFull, reciprocal: reciprocal, divisor: divisor))
            } else {
                low = code(0) // padding of an odd count
            }
            packed[i >> 1] = high << 4 | low
            i += 2
        }
        return isFull ? maximum : divisor
    }

    @inline(__always)
    private func scaled(_ x: Float, isFull: Bool, reciprocal: Float, divisor: Float) -> Float {
        let s = isFull ? x * reciprocal : x / divisor
        return s < -1 ? -1 : (s > 1 ? 1 : s)
    }

    /// The code of a scaled value: its sorted position is the number of boundaries strictly below
    /// it, found by a branchless binary search over the 15 sorted boundaries.
    @inline(__always)
    private func code(_ s: Float) -> UInt8 {
        var position = bounds[7] < s ? 8 : 0
        position += bounds[position + 3] < s ? 4 : 0
        position += bounds[position + 1] < s ? 2 : 0
        position += bounds[position] < s ? 1 : 0
        return order[position]
    }
}
