// Port of transformers src/transformers/models/t5/modeling_t5.py (v4.46.3), `T5LayerCrossAttention`
import DetoxNN
import DetoxTensor

/// Pre-norm encoder–decoder attention sub-layer: `x + dropout(EncDecAttention(layer_norm(x), encoder))`.
/// Cross-attention has no relative bias; its position bias is the encoder mask alone.
public final class T5LayerCrossAttention: Module {
    public let encDecAttention: T5Attention
    public let layerNorm: RMSNorm
    public let dropout: Dropout

    init(configuration c: T5Configuration, prefix: String, weights: T5WeightProvider) throws {
        encDecAttention = try T5Attention(
            configuration: c, isDecoder: true, hasRelativeAttentionBias: false,
            prefix: "\(prefix).EncDecAttention", weights: weights)
        layerNorm = try weights.layerNorm(
            "\(prefix).layer_norm", dimension: c.modelDimension,
            epsilon: c.layerNormEpsilon, factor: c.initializerFactor)
        dropout = weights.dropout(c.dropoutRate)
    }

    public var namedChildren: [(name: String, module: any Module)] {
        [("EncDecAttention", encDecAttention), ("layer_norm", layerNorm), ("dropout", dropout)]
    }

    /// - Parameters: hidden `[B, T, d_model]`; encoder `[B, S, d_model]`; positionBias `[B, H, T, S]` (the mask).
    /// - Returns: `[B, T, d_model]`.
    func callAsFunction(_ hidden: Tensor, encoder: Tensor, positionBias: Tensor) -> Tensor {
        hidden + dropout(encDecAttention(layerNorm(hidden), keyValueStates: encoder, positionBias: positionBias))
    }
}
