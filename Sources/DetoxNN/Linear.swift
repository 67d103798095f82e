import DetoxTensor

/// Anything that maps `[..., in]` to `[..., out]` like a linear layer.
///
/// Models hold their projections as `any LinearLayer`, so a LoRA or 4-bit layer can be swapped in
/// from outside without the model knowing.
public protocol LinearLayer: Module {
    var inFeatures: Int { get }
    var outFeatures: Int { get }
    func callAsFunction(_ x: Tensor) -> Tensor
}

/// `y = x·Wᵀ + b`, with `W` stored `[out, in]` as in PyTorch's `nn.Linear`.
public final class Linear: LinearLayer {
    public let weight: Parameter
    public let bias: Parameter?

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    /// PyTorch's initialization: Kaiming-uniform weight (a = √5), bias uniform in ±1/√in.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: inout SeededGenerator) {
        weight = Parameter(Tensor.kaimingUniform([outFeatures, inFeatures], generator: &generator))
        if bias {
            let bound = 1 / Float(inFeatures).squareRoot()
            self.bias = Parameter(Tensor.randomUniform([outFeatures], low: -bound, high: bound, generator: &generator))
        } else {
            self.bias = nil
        }
    }

    public init(weight: Tensor, bias: Tensor? = nil) {
        self.weight = Parameter(weight)
        self.bias = bias.map { Parameter($0) }
    }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// - Parameter x: `[..., in]`. - Returns: `[..., out]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        Tensor.affine(x, weight: weight.tensor, bias: bias?.tensor)
    }
}

/// A lookup table of vectors, `nn.Embedding`.
public final class Embedding: Module {
    public let weight: Parameter

    public var count: Int { weight.shape[0] }
    public var dimension: Int { weight.shape[1] }

    /// Standard-normal initialization, as PyTorch's `nn.Embedding`.
    public init(count: Int, dimension: Int, generator: inout SeededGenerator) {
        weight = Parameter(Tensor.randomNormal([count, dimension], generator: &generator))
    }

    public init(weight: Tensor) { self.weight = Parameter(weight) }

    public var namedParameters: [(name: String, parameter: Parameter)] { [("weight", weight)] }

    /// - Parameters:
    ///   - ids: token ids, row-major over `shape`.
    ///   - shape: the shape of the id array, e.g. `[batch, length]`.
    /// - Returns: `shape + [dimension]`.
    public func callAsFunction(_ ids: [Int], shape: [Int]) throws -> Tensor {
        for id in ids where id < 0 || id >= count {
            throw NNError.indexOutOfRange(what: "token id", index: id, bound: count)
        }
        return weight.tensor.indexSelect(ids).reshaped(shape + [dimension])
    }
}
