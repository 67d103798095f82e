// Port of trl trl/models/modeling_value_head.py (v0.11.4), `ValueHead` and the head loading of
// `PreTrainedModelWrapper.from_pretrained`
import DetoxNN
import DetoxTensor

/// TRL's value head: `summary(dropout(hidden))`, a `Linear(hidden, 1)` with bias over a policy's
/// last hidden state — the decoder's for ``T5WithValueHead``, the model's for
/// ``CausalLMWithValueHead``. Checkpoint names `summary.weight` `[1, hidden]` and `summary.bias`
/// `[1]`, `v_head.summary.*` inside a policy (``checkpointKeys``).
public final class ValueHead: Module {
    public let summary: Linear
    /// `summary_dropout_prob`, ``defaultDropoutProbability`` unless the model config sets it.
    public let dropout: Dropout

    /// The policy's child name of the head.
    public static let childName = "v_head"
    /// The checkpoint names of the head's tensors inside a policy.
    public static let checkpointKeys = (weight: "v_head.summary.weight", bias: "v_head.summary.bias")
    /// TRL's dropout when the model config has no `summary_dropout_prob`.
    public static let defaultDropoutProbability: Float = 0.1

    /// A head with PyTorch's default `nn.Linear` initialisation, seeded; dropout `dropoutProbability`
    /// (``defaultDropoutProbability`` when `nil`).
    public init(modelDimension: Int, dropoutProbability: Float? = nil, seed: UInt64 = 0) {
        var generator = SeededGenerator(seed: seed)
        summary = Linear(modelDimension, 1, bias: true, generator: &generator)
        dropout = Self.dropout(dropoutProbability, seed: seed)
    }

    /// A head with given weights `[1, hidden]` and bias `[1]`.
    public init(weight: Tensor, bias: Tensor, dropoutProbability: Float? = nil, seed: UInt64 = 0) throws {
        guard weight.rank == 2, weight.shape[0] == 1, bias.shape == [1] else {
            throw ModelError.shapeMismatch(
                source: "value head", key: "summary.weight", expected: [1, weight.shape.last ?? 0], actual: weight.shape
            )
        }
        summary = Linear(weight: weight, bias: bias)
        dropout = Self.dropout(dropoutProbability, seed: seed)
    }

    /// The head stored in a policy checkpoint's `tensors` (``checkpointKeys``), or a fresh one from
    /// `seed` when they hold no head, as TRL's `from_pretrained` does.
    /// - Throws: ``ModelError/missingTensor(source:key:)`` when only one of the two is stored,
    ///   ``ModelError/shapeMismatch(source:key:expected:actual:)`` for a shape other than
    ///   `[1, modelDimension]` and `[1]`.
    public convenience init(
        modelDimension: Int, tensors: [String: Tensor], source: String, dropoutProbability: Float? = nil,
        seed: UInt64 = 0
    ) throws {
        let keys = Self.checkpointKeys
        switch (tensors[keys.weight], tensors[keys.bias]) {
        case (nil, nil):
            self.init(modelDimension: modelDimension, dropoutProbability: dropoutProbability, seed: seed)
        case (let weight?, let bias?):
            guard weight.shape == [1, modelDimension] else {
                throw ModelError.shapeMismatch(
                    source: source, key: keys.weight, expected: [1, modelDimension], actual: weight.shape)
            }
            guard bias.shape == [1] else {
                throw ModelError.shapeMismatch(source: source, key: keys.bias, expected: [1], actual: bias.shape)
            }
            try self.init(weight: weight, bias: bias, dropoutProbability: dropoutProbability, seed: seed)
        case (nil, _):
            throw ModelError.missingTensor(source: source, key: keys.weight)
        case (_, nil):
            throw ModelError.missingTensor(source: source, key: keys.bias)
        }
    }

    private static func dropout(_ probability: Float?, seed: UInt64) -> Dropout {
        Dropout(probability: probability ?? defaultDropoutProbability, seed: seed &+ 1)
    }

    public var namedChildren: [(name: String, module: any Module)] { [("dropout", dropout), ("summary", summary)] }

    /// `[..., hidden]` → values `[...]`.
    public func callAsFunction(_ hidden: Tensor) -> Tensor {
        summary(dropout(hidden)).squeezed(-1)
    }
}

/// The value head's former name, from when only T5 had one.
public typealias T5ValueHead = ValueHead
