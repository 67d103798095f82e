import CDetoxKernels
import DetoxTensor

/// T5's layer norm (`T5LayerNorm` in transformers `modeling_t5.py`): root-mean-square scaling with
/// a weight, no mean subtraction and no bias: `x · rsqrt(mean(x², -1) + eps) · weight`.
public final class RMSNorm: Module {
    public let weight: Parameter
    public let epsilon: Float

    public init(dimension: Int, epsilon: Float = 1e-6) {
        weight = Parameter(Tensor.ones([dimension]))
        self.epsilon = epsilon
    }

    /// A norm with a given weight `[dimension]` (from a checkpoint or an initializer).
    public init(weight: Tensor, epsilon: Float) {
        self.weight = Parameter(weight)
        self.epsilon = epsilon
    }

    public var namedParameters: [(name: String, parameter: Parameter)] { [("weight", weight)] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        Normalization.rms(x, weight: weight.tensor, epsilon: epsilon)
    }
}

/// `nn.LayerNorm` over the last axis: `(x − mean) / sqrt(var + eps) · weight + bias`, biased variance.
public final class LayerNorm: Module {
    public let weight: Parameter
    public let bias: Parameter
    public let epsilon: Float

    public init(dimension: Int, epsilon: Float = 1e-5) {
        weight = Parameter(Tensor.ones([dimension]))
        bias = Parameter(Tensor.zeros([dimension]))
        self.epsilon = epsilon
    }

    /// A norm with a given weight and bias, both `[dimension]` (from a checkpoint or an initializer).
    public init(weight: Tensor, bias: Tensor, epsilon: Float) {
        self.weight = Parameter(weight)
        self.bias = Parameter(bias)
        self.epsilon = epsilon
    }

    public var namedParameters: [(name: String, parameter: Parameter)] { [("weight", weight), ("bias", bias)] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        Normalization.layer(x, weight: weight.tensor, bias: bias.tensor, epsilon: epsilon)
    }
}

/// Zeroes each value with probability `p` in training and scales the rest by `1 / (1 − p)`;
/// the identity in evaluation. Draws from its own seeded generator.
public final class Dropout: Module {
    public let probability: Float
    public private(set) var isTraining = false
    public var generator: SeededGenerator

    public init(probability: Float, seed: UInt64 = 0) {
        self.probability = probability
        self.generator = SeededGenerator(seed: seed)
    }

    public func setTraining(_ training: Bool) { isTraining = training }

    /// Whether a call changes its input (training, with a positive probability).
    public var isActive: Bool { isTraining && probability > 0 }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard isActive else { return x }
        if probability >= 1 { return x * 0 }
        // One draw per call seeds the whole mask (see `Tensor.dropout`).
        return x.dropout(probability: probability, seed: generator.next())
    }

    /// For kernels that apply the dropout themselves (``Attention/multiHead(query:key:value:bias:headCount:dropout:)``):
    /// the probability and a fresh mask seed in training, `nil` when this dropout is inactive.
    public func maskSeed() -> (probability: Float, seed: UInt64)? {
        guard isActive else { return nil }
        return (probability, generator.next())
    }
}

/// The activation functions named in Hugging Face configs.
public enum Activation: String, Sendable, Codable {
    case relu
    case gelu
    case geluNew = "gelu_new"
    case tanh
    case sigmoid
    case silu

    /// Parses a config's `hidden_act` / `dense_act_fn` (also accepting `gelu_pytorch_tanh` as `gelu_new`).
    public init(name: String) throws {
        switch name {
        case "gelu_pytorch_tanh", "gelu_fast": self = .geluNew
        case "swish": self = .silu
        default:
            guard let value = Activation(rawValue: name) else { throw NNError.unknownActivation(name) }
            self = value
        }
    }

    /// `x` is consumed: ReLU overwrites an input that nothing else holds.
    public func callAsFunction(_ x: consuming Tensor) -> Tensor {
        switch self {
        case .relu: return x.relu()
        case .gelu: return x.gelu()
        case .geluNew: return x.geluNew()
        case .tanh: return x.tanh()
        case .sigmoid: return x.sigmoid()
        case .silu: return x * x.sigmoid()
        }
    }
}

// MARK: - Fused kernels

/// One-pass normalization kernels with hand-derived backwards; the composite versions built from
/// primitive ops are the reference they are tested against.
public enum Normalization {
    /// `x · rsqrt(mean(x², -1) + eps) · weight` over the last axis (T5's layer norm).
    public static func rms(_ x: Tensor, weight: Tensor, epsilon: Float) -> Tensor {
        let width = x.shape.last ?? 1
        precondition(weight.shape == [width], "rms norm weight \(weight.shape) does not match \(x.shape)")
        let rows = x.count / Swift.max(width, 1)
        let xp = x.storage.pointer
        let wp = weight.storage.pointer
        var inverse = [Float](repeating: 0, count: rows)
        let y = inverse.withUnsafeMutableBufferPointer { rp in
            let r = UncheckedSendable(rp)
            return Tensor.build(shape: x.shape) { out, _ in
                Parallel.forChunks(rows, minimum: Swift.max(1, Parallel.minimumParallelCount / Swift.max(width, 1))) {
                    start, end in
                    for row in start..<end {
                        r.value[row] = detox_rms_norm_row(xp + row * width, wp, width, epsilon, out + row * width)
                    }
                }
            }
        }
        return Tensor.record(y, inputs: [x, weight]) { g in
            let gp = g.storage.pointer
            let gradX: Tensor? =
                x.node == nil
                ? nil
                : Tensor.build(shape: x.shape) { out, _ in
                    Parallel.forChunks(rows, minimum: Swift.max(1, Parallel.minimumParallelCount / Swift.max(width, 1)))
                    { start, end in
                        for row in start..<end {
                            let offset = row * width
                            detox_rms_norm_backward_row(xp + offset, wp, gp + offset, width, inverse[row], out + offset)
                        }
                    }
                }
            let gradW: Tensor? =
                weight.node == nil
                ? nil
                : Tensor.build(shape: weight.shape) { out, _ in
                    out.initialize(repeating: 0, count: width)
                    for row in 0..<rows {
                        let s = xp + row * width
                        let d = gp + row * width
                        let r = inverse[row]
                        for j in 0..<width { out[j] += d[j] * s[j] * r }
                    }
                }
            return [gradX, gradW]
        }
    }

    /// `(x − mean) / sqrt(var + eps) · weight + bias` over the last axis, biased variance.
    public static func layer(_ x: Tensor, weight: Tensor, bias: Tensor, epsilon: Float) -> Tensor {
        let width = x.shape.last ?? 1
        precondition(weight.shape == [width] && bias.shape == [width], "layer norm parameters do not match \(x.shape)")
        let rows = x.count / Swift.max(width, 1)
        let xp = x.storage.pointer
        let wp = weight.storage.pointer
        let bp = bias.storage.pointer
        // The backward pass reads the normalized rows; without a gradient to record none are kept.
        let records = Tensor.isGradEnabled && (x.node != nil || weight.node != nil || bias.node != nil)
        let normalized = Tensor.build(shape: records ? x.shape : [0]) { _, _ in }
        var inverse = [Float](repeating: 0, count: rows)
        let np = normalized.storage.pointer
        let kept: UnsafeMutablePointer<Float>? = records ? np : nil
        let rowMinimum = Swift.max(1, Parallel.minimumParallelCount / Swift.max(width, 1))
        let y = inverse.withUnsafeMutableBufferPointer { rp in
            let r = UncheckedSendable(rp)
            return Tensor.build(shape: x.shape) { out, _ in
                Parallel.forChunks(rows, minimum: rowMinimum) { start, end in
                    for row in start..<end {
                        let offset = row * width
                        r.value[row] = detox_layer_norm_row(
                            xp + offset, wp, bp, width, epsilon, kept.map { $0 + offset }, out + offset)
                    }
                }
            }
        }
        return Tensor.record(y, inputs: [x, weight, bias]) { [normalized] g in
            // `np` points into `normalized`; the capture keeps that storage alive.
            _ = normalized
            let gp = g.storage.pointer
            let gradX: Tensor? =
                x.node == nil
                ? nil
                : Tensor.build(shape: x.shape) { out, _ in
                    Parallel.forChunks(rows, minimum: rowMinimum) { start, end in
                        for row in start..<end {
                            let offset = row * width
                            detox_layer_norm_backward_row(
                                np + offset, wp, gp + offset, width, inverse[row], out + offset)
                        }
                    }
                }
            // Column sums over the rows, each core taking a run of columns.
            let columnMinimum = Swift.max(1, Parallel.minimumParallelCount / Swift.max(rows, 1))
            let gradW: Tensor? =
                weight.node == nil
                ? nil
                : Tensor.build(shape: weight.shape) { out, _ in
                    out.initialize(repeating: 0, count: width)
                    Parallel.forChunks(width, minimum: columnMinimum) { start, end in
                        for row in 0..<rows {
                            let d = gp + row * width
                            let h = np + row * width
                            for j in start..<end { out[j] += d[j] * h[j] }
                        }
                    }
                }
            let gradB: Tensor? = bias.node == nil ? nil : g.reshaped([rows, width]).sum(axis: 0)
            return [gradX, gradW, gradB]
        }
    }
}
