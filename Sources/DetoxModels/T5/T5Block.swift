// Port of transformers src/transformers/models/t5/modeling_t5.py (v4.46.3), `T5Block`
import DetoxNN
import DetoxTensor

/// One transformer block: self-attention, cross-attention (decoder only), feed-forward, stored in
/// checkpoints as `layer.0`, `layer.1`, `layer.2` (the encoder's feed-forward is `layer.1`).
public final class T5Block: SlottedModule {
    public let selfAttentionLayer: T5LayerSelfAttention
    public let crossAttentionLayer: T5LayerCrossAttention?
    public let feedForwardLayer: T5LayerFF

    /// The feed-forward where the encoder keeps it (`layer.1`); `nil` in a decoder block.
    var encoderFeedForwardLayer: T5LayerFF? { crossAttentionLayer == nil ? feedForwardLayer : nil }
    /// The feed-forward where the decoder keeps it (`layer.2`); `nil` in an encoder block.
    var decoderFeedForwardLayer: T5LayerFF? { crossAttentionLayer == nil ? nil : feedForwardLayer }

    static let selfAttentionLayer = ModuleSlot.child("layer.0", \T5Block.selfAttentionLayer)
    static let crossAttentionLayer = ModuleSlot.child("layer.1", \T5Block.crossAttentionLayer)
    static let encoderFeedForwardLayer = ModuleSlot.child("layer.1", \T5Block.encoderFeedForwardLayer)
    static let decoderFeedForwardLayer = ModuleSlot.child("layer.2", \T5Block.decoderFeedForwardLayer)
    public static let slots = [
        selfAttentionLayer, crossAttentionLayer, encoderFeedForwardLayer, decoderFeedForwardLayer,
    ]

    init(configuration c: T5Configuration, isDecoder: Bool, hasRelativeAttentionBias: Bool, weights: WeightBuilder)
        throws
    {
        selfAttentionLayer = try T5LayerSelfAttention(
            configuration: c, isDecoder: isDecoder, hasRelativeAttentionBias: hasRelativeAttentionBias,
            weights: weights.scoped(Self.selfAttentionLayer))
        crossAttentionLayer =
            isDecoder
            ? try T5LayerCrossAttention(configuration: c, weights: weights.scoped(Self.crossAttentionLayer))
            : nil
        feedForwardLayer = try T5LayerFF(
            configuration: c,
            weights: weights.scoped(isDecoder ? Self.decoderFeedForwardLayer : Self.encoderFeedForwardLayer))
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
