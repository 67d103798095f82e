// Port of transformers src/transformers/models/t5/modeling_t5.py (v4.46.3), `T5Stack`
import DetoxNN
import DetoxTensor

/// The encoder or the decoder: blocks, a final layer norm, dropout on the way in and out.
///
/// Block 0's self-attention owns the relative-position table; the bias it yields (plus the mask)
/// is computed once per forward and shared by every block, as in transformers.
public final class T5Stack: SlottedModule {
    public let blocks: ModuleList<T5Block>
    public let finalLayerNorm: RMSNorm
    public let dropout: Dropout
    public let isDecoder: Bool
    public let headCount: Int

    static let blocks = ModuleSlot.child("block", \T5Stack.blocks)
    static let finalLayerNorm = ModuleSlot.child("final_layer_norm", \T5Stack.finalLayerNorm)
    static let dropout = ModuleSlot.child("dropout", \T5Stack.dropout)
    public static let slots = [blocks, finalLayerNorm, dropout]

    init(configuration c: T5Configuration, isDecoder: Bool, weights: WeightBuilder) throws {
        let count = isDecoder ? c.decoderLayerCount : c.encoderLayerCount
        let blockWeights = weights.scoped(Self.blocks)
        var blocks: [T5Block] = []
        for i in 0..<count {
            blocks.append(
                try T5Block(
                    configuration: c, isDecoder: isDecoder, hasRelativeAttentionBias: i == 0,
                    weights: blockWeights.scoped(String(i))))
        }
        self.blocks = ModuleList(blocks)
        finalLayerNorm = try weights.rmsNorm(
            Self.finalLayerNorm, dimension: c.modelDimension, epsilon: c.layerNormEpsilon,
            initialWeight: c.initializerFactor)
        dropout = weights.dropout(c.dropoutRate)
        self.isDecoder = isDecoder
        headCount = c.headCount
    }

    /// The attention that owns the relative-position table (block 0's self-attention).
    var relativeAttention: T5Attention { blocks[0].selfAttentionLayer.selfAttention }

    /// Runs the stack over embedded tokens.
    ///
    /// - Parameters:
    ///   - embeddings: `[B, L, d_model]`.
    ///   - selfMask: additive `[B, 1, 1, L]` (encoder padding) or `[B, 1, L, L]` (decoder causal + padding).
    ///   - encoder: `[B, S, d_model]` and `encoderMask` additive `[B, 1, 1, S]` (decoder only).
    /// - Returns: `[B, L, d_model]` after the final layer norm and dropout.
    func callAsFunction(embeddings: Tensor, selfMask: Tensor, encoder: Tensor? = nil, encoderMask: Tensor? = nil)
        -> Tensor
    {
        let batch = embeddings.shape[0]
        let length = embeddings.shape[1]
        // [1, H, L, L] + mask → [B, H, L, L], shared by all blocks.
        let selfBias = relativeAttention.positionBias(queryPositions: 0..<length, keyLength: length) + selfMask
        let crossBias = encoder.flatMap { encoder in
            encoderMask?.broadcasted(to: [batch, headCount, length, encoder.shape[1]]) // [B, H, L, S]
        }
        var hidden = dropout(embeddings)
        for block in blocks.modules {
            hidden = block(hidden, selfBias: selfBias, encoder: encoder, crossBias: crossBias)
        }
        return dropout(finalLayerNorm(hidden))
    }
}
