// Port of transformers src/transformers/models/t5/modeling_t5.py (v4.46.3), `T5LayerSelfAttention`
import DetoxNN
import DetoxTensor

/// Pre-norm self-attention sub-layer: `x + dropout(SelfAttention(layer_norm(x)))`.
public final class T5LayerSelfAttention: Module {
    public let selfAttention: T5Attention
    public let layerNorm: RMSNorm
    public let dropout: Dropout

    init(
        configuration c: T5Configuration, isDecoder: Bool, hasRelativeAttentionBias: Bool, prefix: String,
        weights: T5WeightProvider
    ) throws {
        selfAttention = try T5Attention(
            configuration: c, isDecoder: isDecoder, hasRelativeAttentionBias: hasRelativeAttentionBias,
            prefix: "\(prefix).SelfAttention", weights: weights)
        layerNorm = try weights.layerNorm(
            "\(prefix).layer_norm", dimension: c.modelDimension,
            epsilon: c.layerNormEpsilon, factor: c.initializerFactor)
        dropout = weights.dropout(c.dropoutRate)
    }

    public var namedChildren: [(name: String, module: any Module)] {
        [("SelfAttention", selfAttention), ("layer_norm", layerNorm), ("dropout", dropout)]
    }

    /// - Parameters: hidden `[B, L, d_model]`; positionBias `[B, H, L, L]` (bias + mask).
    /// - Returns: `[B, L, d_model]`.
    func callAsFunction(_ hidden: Tensor, positionBias: Tensor) -> Tensor {
        hidden + dropout(selfAttention(layerNorm(hidden), positionBias: positionBias))
    }
}
