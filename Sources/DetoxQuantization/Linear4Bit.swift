// Provenance: bitsandbytes 0.50.2 `nn/modules.py` `Linear4bit` and `autograd/_functions.py`
// `MatMul4Bit` (the f32 path on CPU: dequantize the weight, then `torch.nn.functional.linear`).

import DetoxNN
import DetoxTensor

// MARK: - Linear4Bit

/// A frozen linear layer whose weight is stored in 4 bits: `y = x·dequant(W)ᵀ + b`.
///
/// The weight `[out, in]` is a ``QuantizedTensor4Bit`` and never a `Parameter`, so it cannot be
/// trained, saved as f32 or unfrozen by `setTrainable(true)`: it is not among the module's
/// parameters at all. The bias, if any, is an ordinary ``Parameter``, frozen when the layer is
/// made (it trains only if someone unfreezes it).
///
/// The forward pass decodes the weight a few rows at a time into a scratch buffer of at most
/// ``dequantizationChunkElements`` floats and multiplies each slice with BLAS, so no f32 copy of the
/// weight outlives the call. The backward pass gives the gradient with respect to the input only
/// (what a LoRA adapter upstream needs), decoding the weight again the same way.
public final class Linear4Bit: LinearLayer {
    /// The 4-bit weight, `[out, in]`.
    public let weight: QuantizedTensor4Bit
    /// The bias, `[out]`; frozen by default.
    public let bias: Parameter?
    /// Largest number of weight values decoded at once (rows × `in`, at least one row).
    public var dequantizationChunkElements: Int = 1 << 18

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    /// Wraps a quantized weight `[out, in]` and an optional bias `[out]`.
    public init(weight: QuantizedTensor4Bit, bias: Tensor? = nil) throws {
        guard weight.shape.count == 2 else {
            throw QuantizationError.shapeMismatch(what: "Linear4Bit weight", expected: [-1, -1], actual: weight.shape)
        }
        if let bias, bias.shape != [weight.shape[0]] {
            throw QuantizationError.shapeMismatch(
                what: "Linear4Bit bias", expected: [weight.shape[0]], actual: bias.shape)
        }
        self.weight = weight
        self.bias = bias.map { Parameter($0, trainable: false) }
    }

    /// Quantizes an f32 weight `[out, in]` (as `Params4bit` does when moved to a device).
    ///
    /// - Parameters:
    ///   - type: `.nf4` for QLoRA; bitsandbytes' own `Linear4bit` default is `.fp4`.
    ///   - doubleQuantization: bitsandbytes' `compress_statistics`, on by default as in `Linear4bit`.
    public convenience init(
        weight: Tensor, bias: Tensor? = nil, type: FourBitType, blocksize: Int = 64,
        doubleQuantization: Bool = true
    ) throws {
        guard weight.rank == 2 else {
            throw QuantizationError.shapeMismatch(what: "Linear4Bit weight", expected: [-1, -1], actual: weight.shape)
        }
        let quantized = try QuantizedTensor4Bit.quantize(
            weight, type: type, blocksize: blocksize, doubleQuantization: doubleQuantization)
        try self.init(weight: quantized, bias: bias?.detached())
    }

    /// Quantizes a ``Linear`` layer's weight and keeps its bias (frozen).
    public convenience init(
        linear: Linear, type: FourBitType, blocksize: Int = 64, doubleQuantization: Bool = true
    ) throws {
        try self.init(
            weight: linear.weight.tensor, bias: linear.bias?.tensor, type: type, blocksize: blocksize,
            doubleQuantization: doubleQuantization)
    }

    /// Only the bias: the 4-bit weight is not a parameter.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        bias.map { [("bias", $0)] } ?? []
    }

    /// Bytes held: the 4-bit weight (``QuantizedTensor4Bit/byteCount``) and the f32 bias.
    public var byteCount: Int { weight.byteCount + 4 * (bias?.tensor.count ?? 0) }

    // MARK: Forward

    /// - Parameter x: `[..., in]`. - Returns: `[..., out]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let inputs = inFeatures
        let outputs = outFeatures
        precondition(x.shape.last == inputs, "Linear4Bit: input \(x.shape) does not end in \(inputs)")
        let rows = x.count / Swift.max(inputs, 1)
        let flat = x.reshaped([rows, inputs])
        let weight = self.weight
        let chunkRows = self.chunkRows
        let biasTensor = bias?.tensor
        let result = Tensor.build(shape: [rows, outputs]) { out, _ in
            Linear4Bit.multiply(
                flat.storage.pointer, rows: rows, weight: weight, chunkRows: chunkRows, into: out)
            if let biasTensor {
                let b = biasTensor.storage.pointer
                for r in 0..<rows {
                    let row = out + r * outputs
                    for j in 0..<outputs { row[j] += b[j] }
                }
            }
        }
        var recordInputs = [flat]
        if let biasTensor { recordInputs.append(biasTensor) }
        let recorded = Tensor.record(result, inputs: recordInputs) { g in
            let gradX: Tensor? =
                flat.node == nil
                ? nil
                : Linear4Bit.inputGradient(
                    g, rows: rows, weight: weight, chunkRows: chunkRows)
            guard let biasTensor else { return [gradX] }
            return [gradX, biasTensor.node == nil ? nil : g.sum(axis: 0)]
        }
        return recorded.reshaped(Array(x.shape.dropLast()) + [outputs])
    }

    /// Weight rows decoded per slice.
    var chunkRows: Int {
        Swift.max(1, Swift.min(outFeatures, dequantizationChunkElements / Swift.max(inFeatures, 1)))
    }

    // MARK: Kernels

    /// `out[rows, out] = x[rows, in] · Wᵀ`, decoding `chunkRows` rows of `W` at a time.
    static func multiply(
        _ x: UnsafePointer<Float>, rows: Int, weight: QuantizedTensor4Bit, chunkRows: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        let inputs = weight.shape[1]
        let outputs = weight.shape[0]
        if rows == 0 || outputs == 0 { return }
        let slice = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, chunkRows * inputs))
        defer { slice.deallocate() }
        if chunkRows >= outputs {
            decode(weight, 0..<(outputs * inputs), into: slice)
            Tensor.gemm(transposeA: false, transposeB: true, m: rows, n: outputs, k: inputs, a: x, b: slice, c: out)
            return
        }
        // [rows, chunk] products, written straight into their columns of the output.
        var first = 0
        while first < outputs {
            let count = Swift.min(chunkRows, outputs - first)
            decode(weight, (first * inputs)..<((first + count) * inputs), into: slice)
            Tensor.gemm(
                transposeA: false, transposeB: true, m: rows, n: count, k: inputs, a: x, b: slice,
                c: out + first, ldc: outputs)
            first += count
        }
    }

    /// Decodes the flat weight elements `range` into `destination`, split across cores when large.
    static func decode(
        _ weight: QuantizedTensor4Bit, _ range: Range<Int>, into destination: UnsafeMutablePointer<Float>
    ) {
        let target = UncheckedSendable(destination)
        Parallel.forChunks(range.count) { start, end in
            weight.dequantize(
                elements: (range.lowerBound + start)..<(range.lowerBound + end), into: target.value + start)
        }
    }

    /// `∂L/∂x[rows, in] = g[rows, out] · W`, decoding `chunkRows` rows of `W` at a time.
    static func inputGradient(_ g: Tensor, rows: Int, weight: QuantizedTensor4Bit, chunkRows: Int) -> Tensor {
        let inputs = weight.shape[1]
        let outputs = weight.shape[0]
        return Tensor.build(shape: [rows, inputs]) { out, n in
            if outputs == 0 || rows == 0 {
                out.initialize(repeating: 0, count: n)
                return
            }
            let slice = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, chunkRows * inputs))
            defer { slice.deallocate() }
            let gradient = g.storage.pointer
            if chunkRows >= outputs {
                decode(weight, 0..<(outputs * inputs), into: slice)
                Tensor.gemm(
                    transposeA: false, transposeB: false, m: rows, n: inputs, k: outputs, a: gradient, b: slice, c: out)
                return
            }
            // The gradient's columns for each chunk are read in place (leading dimension `outputs`).
            var first = 0
            while first < outputs {
                let count = Swift.min(chunkRows, outputs - first)
                decode(weight, (first * inputs)..<((first + count) * inputs), into: slice)
                Tensor.gemm(
                    transposeA: false, transposeB: false, m: rows, n: inputs, k: count, a: gradient + first, b: slice,
                    c: out,
                    beta: first == 0 ? 0 : 1, lda: outputs)
                first += count
            }
        }
    }
}

// MARK: - Merging adapters

extension Linear4Bit: DenseWeightConvertible {
    /// The dequantized weight `[out, in]` (a full f32 copy; used to merge a LoRA adapter into a plain layer).
    public var denseWeight: Tensor { weight.dequantize() }
    public var denseBias: Tensor? { bias?.tensor.detached() }
}
