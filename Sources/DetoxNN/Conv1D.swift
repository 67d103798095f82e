// Port of transformers src/transformers/pytorch_utils.py (v4.46.3), `Conv1D`
import DetoxTensor

/// GPT-2's linear layer: `y = x·W + b` with `W` stored `[in, out]` (the transpose of `nn.Linear`'s
/// layout), under the checkpoint names `weight` and `bias`.
///
/// Keeping the checkpoint's layout makes ``Module/stateDict()`` what transformers saves, with no
/// transposition at loading or writing. ``denseWeight`` gives the weight as `[out, in]`, the layout
/// merging an adapter or quantizing to 4 bits works in (transformers' bitsandbytes path transposes a
/// `Conv1D` weight the same way before quantizing).
public final class Conv1D: LinearLayer {
    /// `[in, out]`.
    public let weight: Parameter
    /// `[out]`.
    public let bias: Parameter

    public var inFeatures: Int { weight.shape[0] }
    public var outFeatures: Int { weight.shape[1] }

    /// A layer over a weight `[in, out]` and a bias `[out]`.
    public init(weight: Tensor, bias: Tensor) {
        precondition(
            weight.rank == 2 && bias.shape == [weight.shape[1]], "Conv1D: weight \(weight.shape), bias \(bias.shape)")
        self.weight = Parameter(weight)
        self.bias = Parameter(bias)
    }

    public var namedParameters: [(name: String, parameter: Parameter)] { [("weight", weight), ("bias", bias)] }

    /// - Parameter x: `[..., in]`. - Returns: `[..., out]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.matmul(weight.tensor) + bias.tensor
    }
}

extension Conv1D: DenseWeightConvertible {
    /// The weight as `[out, in]`.
    public var denseWeight: Tensor { weight.tensor.detached().transposed() }
    public var denseBias: Tensor? { bias.tensor.detached() }
}
