// Port of transformers src/transformers/models/bert/modeling_bert.py `BertLayer` (v4.46.3)
import DetoxNN
import DetoxTensor

/// One post-LayerNorm transformer encoder block: attention, then feed-forward.
public final class BertLayer: SlottedModule {
    public let attention: BertAttention
    public let intermediate: BertIntermediate
    public let output: BertOutput

    static let attention = ModuleSlot.child("attention", \BertLayer.attention)
    static let intermediate = ModuleSlot.child("intermediate", \BertLayer.intermediate)
    static let output = ModuleSlot.child("output", \BertLayer.output)
    public static let slots = [attention, intermediate, output]

    init(configuration: BertConfiguration, activation: Activation, weights: WeightBuilder) throws {
        attention = try BertAttention(configuration: configuration, weights: weights.scoped(Self.attention))
        intermediate = try BertIntermediate(
            configuration: configuration, activation: activation, weights: weights.scoped(Self.intermediate))
        output = try BertOutput(configuration: configuration, weights: weights.scoped(Self.output))
    }

    /// `[batch, length, hidden]` → `[batch, length, hidden]`.
    public func callAsFunction(_ x: Tensor, mask: Tensor?) -> Tensor {
        let attended = attention(x, mask: mask)
        return output(intermediate(attended), residual: attended)
    }
}
