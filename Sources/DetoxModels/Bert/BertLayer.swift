// Port of transformers src/transformers/models/bert/modeling_bert.py `BertLayer` (v4.46.3)
import DetoxNN
import DetoxTensor

/// One post-LayerNorm transformer encoder block: attention, then feed-forward.
public final class BertLayer: Module {
    public let attention: BertAttention
    public let intermediate: BertIntermediate
    public let output: BertOutput

    init(configuration: BertConfiguration, activation: Activation, initializer: inout BertInitializer) {
        attention = BertAttention(configuration: configuration, initializer: &initializer)
        intermediate = BertIntermediate(configuration: configuration, activation: activation, initializer: &initializer)
        output = BertOutput(configuration: configuration, initializer: &initializer)
    }

    public var namedChildren: [(name: String, module: any Module)] {
        [("attention", attention), ("intermediate", intermediate), ("output", output)]
    }

    /// `[batch, length, hidden]` → `[batch, length, hidden]`.
    public func callAsFunction(_ x: Tensor, mask: Tensor?) -> Tensor {
        let attended = attention(x, mask: mask)
        return output(intermediate(attended), residual: attended)
    }
}
