// Port of transformers src/transformers/models/t5/modeling_t5.py (v4.46.3), `T5Block`
import DetoxNN
import DetoxTensor

/// One transformer block: self-attention, cross-attention (decoder only), feed-forward, stored in
/// checkpoints as `layer.0`, `layer.1`, `layer.2` (the encoder's feed-forward is `layer.1`).
public final class T5Block: Module {
    public let selfAttentionLayer: T5LayerSelfAttention
    public let crossAttentionLayer: T5LayerCrossAttention?
    public let feedForwardLayer: T5LayerFF

    init(
        configuration c: T5Configuration, isDecoder: Bool, hasRelativeAttentionBias: Bool, prefix: String,
        weights: T5WeightProvider
    ) throws {
        selfAttentionLayer = try T5LayerSelfAttention(
            configuration: c, isDecoder: isDecoder, hasRelativeAttentionBias: hasRelativeAttentionBias,
            prefix: "\(prefix).layer.0", weights: weights)
        crossAttentionLayer =
            isDecoder
            ? try T5LayerCrossAttention(configuration: c, prefix: "\(prefix).layer.1", weights: weights)
            : nil
        feedForwardLayer = try T5LayerFF(
            configuration: c, prefix: "\(prefix).layer.\(isDecoder ? 2 : 1)", weights: weights)
    }

    public var namedChildren: [(name: String, module: any Module)] {
        if let crossAttentionLayer {
            return [("layer.0", selfAttentionLayer), ("layer.1", crossAttentionLayer), ("layer.2", feedForwardLayer)]
        }
        return [("layer.0", selfAttentionLayer), ("layer.1", feedForwardLayer)]
    }

    /// - Parameters:
    ///   - hidden: `[B, L, d_model]`.
    ///   - selfBias: `[B, H, L, L]`, relative bias plus mask.
    ///   - encoder: `[B, S, d_model]` (decoder blocks).
    ///   - crossBias: `[B, H, L, S]`, the encoder mask (decoder blocks).
    /// - Returns: `[B, L, d_model]`.
    func callAsFunction(_ hidden: Tensor, selfBias: Tensor, encoder: Tensor? = nil, crossBias: Tensor? = nil) -> Tensor
    {
        var h = selfAttentionLayer(hidden, positionBias: selfBias)
        if let crossAttentionLayer, let encoder, let crossBias {
            h = crossAttentionLayer(h, encoder: encoder, positionBias: crossBias)
        }
        return feedForwardLayer(h)
    }
}
