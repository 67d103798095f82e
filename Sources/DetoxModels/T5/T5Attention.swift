// Port of transformers src/transformers/models/t5/modeling_t5.py (v4.46.3), `T5Attention`
import DetoxNN
import DetoxTensor

/// Multi-head attention as T5 does it: no bias on the projections, no `1/√d` scaling of the scores
/// (folded into the initialisation), an additive position bias (learned relative buckets in the
/// first block of each stack, plus the attention mask) and f32 softmax.
///
/// The projections are `any LinearLayer` slots, so LoRA or 4-bit layers can be swapped in.
public final class T5Attention: SlottedModule {
    public var q: any LinearLayer
    public var k: any LinearLayer
    public var v: any LinearLayer
    public var o: any LinearLayer
    /// `[num_buckets, num_heads]`; only in block 0 of each stack.
    public let relativeAttentionBias: Embedding?
    /// Dropout on the attention weights (training only).
    public let dropout: Dropout

    public let headCount: Int
    public let headDimension: Int
    /// Whether this attention belongs to the decoder (causal buckets) or the encoder (bidirectional).
    public let isDecoder: Bool
    public let bucketCount: Int
    public let maxDistance: Int

    static let q = ModuleSlot.linear("q", \T5Attention.q)
    static let k = ModuleSlot.linear("k", \T5Attention.k)
    static let v = ModuleSlot.linear("v", \T5Attention.v)
    static let o = ModuleSlot.linear("o", \T5Attention.o)
    static let relativeAttentionBias = ModuleSlot.child("relative_attention_bias", \T5Attention.relativeAttentionBias)
    static let dropout = ModuleSlot.child("dropout", \T5Attention.dropout)
    public static let slots = [q, k, v, o, relativeAttentionBias, dropout]

    init(configuration c: T5Configuration, isDecoder: Bool, hasRelativeAttentionBias: Bool, weights: WeightBuilder)
        throws
    {
        let inner = c.innerDimension
        let d = c.modelDimension
        // transformers' `_init_weights` standard deviations, used when no checkpoint supplies the weight.
        let factor = c.initializerFactor
        q = try weights.linear(
            Self.q, inFeatures: d, outFeatures: inner, bias: false,
            std: factor / Float(d * c.keyValueDimension).squareRoot())
        k = try weights.linear(
            Self.k, inFeatures: d, outFeatures: inner, bias: false, std: factor / Float(d).squareRoot())
        v = try weights.linear(
            Self.v, inFeatures: d, outFeatures: inner, bias: false, std: factor / Float(d).squareRoot())
        o = try weights.linear(
            Self.o, inFeatures: inner, outFeatures: d, bias: false, std: factor / Float(inner).squareRoot())
        relativeAttentionBias =
            hasRelativeAttentionBias
            ? try weights.embedding(
                Self.relativeAttentionBias, count: c.relativeAttentionBucketCount, dimension: c.headCount,
                std: factor / Float(d).squareRoot())
            : nil
        dropout = weights.dropout(c.dropoutRate)
        headCount = c.headCount
        headDimension = c.keyValueDimension
        self.isDecoder = isDecoder
        bucketCount = c.relativeAttentionBucketCount
        maxDistance = c.relativeAttentionMaxDistance
    }

    // MARK: - Position bias

    /// The learned relative bias for queries at `queryPositions` against keys `0..<keyLength`:
    /// `[1, H, Lq, Lk]`, differentiable in the bias table. Requires ``relativeAttentionBias``.
    func positionBias(queryPositions: Range<Int>, keyLength: Int) -> Tensor {
        guard let table = relativeAttentionBias else {
            return Tensor.zeros([1, headCount, queryPositions.count, keyLength])
        }
        let buckets = T5RelativePosition.buckets(
            queryPositions: queryPositions, keyLength: keyLength, bidirectional: !isDecoder,
            bucketCount: bucketCount, maxDistance: maxDistance)
        return table.weight.tensor.indexSelect(buckets) // [Lq·Lk, H]
            .reshaped([queryPositions.count, keyLength, headCount])
            .permuted([2, 0, 1]) // [H, Lq, Lk]
            .unsqueezed(0) // [1, H, Lq, Lk]
    }

    // MARK: - Full-sequence forward

    /// Attention of `hidden` over itself (or over `keyValueStates` for cross-attention).
    ///
    /// - Parameters:
    ///   - hidden: `[B, Lq, d_model]`, already layer-normed.
    ///   - keyValueStates: `[B, Lk, d_model]` encoder output for cross-attention, `nil` for self-attention.
    ///   - positionBias: `[1 or B, H, Lq, Lk]` relative bias plus additive mask, shared by all blocks.
    /// - Returns: `[B, Lq, d_model]`.
    func callAsFunction(_ hidden: Tensor, keyValueStates: Tensor? = nil, positionBias: Tensor) -> Tensor {
        let source = keyValueStates ?? hidden
        let context = Attention.multiHead(
            query: q(hidden), key: k(source), value: v(source), bias: positionBias, // [B, L, H·D] each
            headCount: headCount, dropout: dropout.maskSeed())
        return o(context)
    }
}
