// Port of transformers src/transformers/models/t5/modeling_t5.py (v4.46.3), `T5LayerSelfAttention`
import DetoxNN
import DetoxTensor

/// Pre-norm self-attention sub-layer: `x + dropout(SelfAttention(layer_norm(x)))`.
public final class T5LayerSelfAttention: SlottedModule {
    public let selfAttention: T5Attention
    public let layerNorm: RMSNorm
    public let dropout: Dropout

    static let selfAttention = ModuleSlot.child("SelfAttention", \T5LayerSelfAttention.selfAttention)
    static let layerNorm = ModuleSlot.child("layer_norm", \T5LayerSelfAttention.layerNorm)
    static let dropout = ModuleSlot.child("dropout", \T5LayerSelfAttention.dropout)
    public static let slots = [selfAttention, layerNorm, dropout]

    init(configuration c: T5Configuration, isDecoder: Bool, hasRelativeAttentionBias: Bool, weights: WeightBuilder)
        throws
    {
        selfAttention = try T5Attention(
            configuration: c, isDecoder: isDecoder, hasRelativeAttentionBias: hasRelativeAttentionBias,
            weights: weights.scoped(Self.selfAttention))
        layerNorm = try weights.rmsNorm(
            Self.layerNorm, dimension: c.modelDimension, epsilon: c.layerNormEpsilon,
            initialWeight: c.initializerFactor)
        dropout = weights.dropout(c.dropoutRate)
    }

    /// - Parameters: hidden `[B, L, d_model]`; positionBias `[B, H, L, L]` (bias + mask).
    /// - Returns: `[B, L, d_model]`.
    func callAsFunction(_ hidden: Tensor, positionBias: Tensor) -> Tensor {
        hidden + dropout(selfAttention(layerNorm(hidden), positionBias: positionBias))
    }
}
