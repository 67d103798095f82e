// Port of transformers src/transformers/models/t5/modeling_t5.py (v4.46.3), `T5LayerCrossAttention`
import DetoxNN
import DetoxTensor

/// Pre-norm encoder–decoder attention sub-layer: `x + dropout(EncDecAttention(layer_norm(x), encoder))`.
/// Cross-attention has no relative bias; its position bias is the encoder mask alone.
public final class T5LayerCrossAttention: SlottedModule {
    public let encDecAttention: T5Attention
    public let layerNorm: RMSNorm
    public let dropout: Dropout

    static let encDecAttention = ModuleSlot.child("EncDecAttention", \T5LayerCrossAttention.encDecAttention)
    static let layerNorm = ModuleSlot.child("layer_norm", \T5LayerCrossAttention.layerNorm)
    static let dropout = ModuleSlot.child("dropout", \T5LayerCrossAttention.dropout)
    public static let slots = [encDecAttention, layerNorm, dropout]

    init(configuration c: T5Configuration, weights: WeightBuilder) throws {
        encDecAttention = try T5Attention(
            configuration: c, isDecoder: true, hasRelativeAttentionBias: false,
            weights: weights.scoped(Self.encDecAttention))
        layerNorm = try weights.rmsNorm(
            Self.layerNorm, dimension: c.modelDimension, epsilon: c.layerNormEpsilon,
            initialWeight: c.initializerFactor)
        dropout = weights.dropout(c.dropoutRate)
    }

    /// - Parameters: hidden `[B, T, d_model]`; encoder `[B, S, d_model]`; positionBias `[B, H, T, S]` (the mask).
    /// - Returns: `[B, T, d_model]`.
    func callAsFunction(_ hidden: Tensor, encoder: Tensor, positionBias: Tensor) -> Tensor {
        hidden + dropout(encDecAttention(layerNorm(hidden), keyValueStates: encoder, positionBias: positionBias))
    }
}
