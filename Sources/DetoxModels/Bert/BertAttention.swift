// Port of transformers src/transformers/models/bert/modeling_bert.py `BertAttention` (v4.46.3)
import DetoxNN
import DetoxTensor

/// Self-attention followed by its output block (checkpoint names `self` and `output`).
public final class BertAttention: Module {
    public let selfAttention: BertSelfAttention
    public let output: BertSelfOutput

    init(configuration: BertConfiguration, initializer: inout BertInitializer) {
        selfAttention = BertSelfAttention(configuration: configuration, initializer: &initializer)
        output = BertSelfOutput(configuration: configuration, initializer: &initializer)
    }

    public var namedChildren: [(name: String, module: any Module)] { [("self", selfAttention), ("output", output)] }

    /// `[batch, length, hidden]` → `[batch, length, hidden]`.
    public func callAsFunction(_ x: Tensor, mask: Tensor?) -> Tensor {
        output(selfAttention(x, mask: mask), residual: x)
    }
}
