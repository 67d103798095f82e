// Port of transformers src/transformers/models/bert/modeling_bert.py `BertAttention` (v4.46.3)
import DetoxNN
import DetoxTensor

/// Self-attention followed by its output block (checkpoint names `self` and `output`).
public final class BertAttention: SlottedModule {
    public let selfAttention: BertSelfAttention
    public let output: BertSelfOutput

    static let selfAttention = ModuleSlot.child("self", \BertAttention.selfAttention)
    static let output = ModuleSlot.child("output", \BertAttention.output)
    public static let slots = [selfAttention, output]

    init(configuration: BertConfiguration, weights: WeightBuilder) throws {
        selfAttention = try BertSelfAttention(configuration: configuration, weights: weights.scoped(Self.selfAttention))
        output = try BertSelfOutput(configuration: configuration, weights: weights.scoped(Self.output))
    }

    /// `[batch, length, hidden]` → `[batch, length, hidden]`.
    public func callAsFunction(_ x: Tensor, mask: Tensor?) -> Tensor {
        output(selfAttention(x, mask: mask), residual: x)
    }
}
