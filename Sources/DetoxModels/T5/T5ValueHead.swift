// Port of trl trl/models/modeling_value_head.py (v0.11.4), `ValueHead`
import DetoxNN
import DetoxTensor

/// TRL's value head: `summary(dropout(hidden))`, a `Linear(d_model, 1)` with bias over the
/// decoder's last hidden state. Checkpoint names `summary.weight` `[1, d_model]` and `summary.bias` `[1]`
/// (`v_head.summary.*` inside ``T5WithValueHead``).
public final class T5ValueHead: Module {
    public let summary: Linear
    /// `summary_dropout_prob`, 0.1 unless the model config sets it.
    public let dropout: Dropout

    /// A head with PyTorch's default `nn.Linear` initialisation, seeded.
    public init(modelDimension: Int, dropoutProbability: Float = 0.1, seed: UInt64 = 0) {
        var generator = SeededGenerator(seed: seed)
        summary = Linear(modelDimension, 1, bias: true, generator: &generator)
        dropout = Dropout(probability: dropoutProbability, seed: seed &+ 1)
    }

    /// A head with given weights `[1, d_model]` and bias `[1]`.
    public init(weight: Tensor, bias: Tensor, dropoutProbability: Float = 0.1, seed: UInt64 = 0) throws {
        guard weight.rank == 2, weight.shape[0] == 1, bias.shape == [1] else {
            throw ModelError.shapeMismatch(
                source: "value head", key: "summary.weight", expected: [1, weight.shape.last ?? 0], actual: weight.shape
            )
        }
        summary = Linear(weight: weight, bias: bias)
        dropout = Dropout(probability: dropoutProbability, seed: seed &+ 1)
    }

    public var namedChildren: [(name: String, module: any Module)] { [("dropout", dropout), ("summary", summary)] }

    /// `[B, T, d_model]` → values `[B, T]`.
    public func callAsFunction(_ hidden: Tensor) -> Tensor {
        summary(dropout(hidden)).squeezed(-1)
    }
}
