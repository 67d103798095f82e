// Port of transformers src/transformers/models/gpt2/modeling_gpt2.py (v4.46.3), `GPT2Attention`
import DetoxNN
import DetoxTensor

/// GPT-2's causal self-attention: one `c_attn` projection to queries, keys and values (a
/// ``Conv1D``, weight `[in, 3·n_embd]`), scores scaled by `1/√head_dim` (and `1/(layer + 1)` when
/// configured) through the query, `c_proj` back to the model width.
///
/// The scaling follows transformers' eager attention, the model's definition: its SDPA path (the
/// default in 4.46.3) ignores `scale_attn_by_inverse_layer_idx` and `scale_attn_weights = false`.
/// `reorder_and_upcast_attn` only changes the precision of half-precision runs, so f32 gives the same.
///
/// `c_attn` and `c_proj` are linear slots, so LoRA or 4-bit layers can be swapped in by name.
public final class GPT2Attention: SlottedModule, GPTAttentionLayer {
    public var cAttn: any LinearLayer
    public var cProj: any LinearLayer
    /// Dropout on the attention weights (training only).
    public let attentionDropout: Dropout
    /// Dropout on the output (training only).
    public let residualDropout: Dropout
    public let headCount: Int
    public let headDimension: Int
    /// The factor applied to the queries in place of dividing the scores.
    public let queryScale: Float
    /// This layer's index (its cache slot).
    public let layerIndex: Int

    static let cAttn = ModuleSlot.linear("c_attn", \GPT2Attention.cAttn)
    static let cProj = ModuleSlot.linear("c_proj", \GPT2Attention.cProj)
    static let attentionDropout = ModuleSlot.child("attn_dropout", \GPT2Attention.attentionDropout)
    static let residualDropout = ModuleSlot.child("resid_dropout", \GPT2Attention.residualDropout)
    public static let slots = [cAttn, cProj, attentionDropout, residualDropout]

    public typealias Configuration = GPT2Configuration

    /// GPT-2 attends over every earlier position.
    public var window: Int? { nil }
    /// A pad query attends to every key alike, as transformers' default SDPA path on CPU.
    public static let maskedQueries = CausalInputs.MaskedQueryRows.allKeys

    public init(configuration c: GPT2Configuration, layerIndex: Int, weights: WeightBuilder) throws {
        let d = c.hiddenSize
        cAttn = try weights.conv1D(Self.cAttn, inFeatures: d, outFeatures: 3 * d, std: c.initializerRange)
        cProj = try weights.conv1D(Self.cProj, inFeatures: d, outFeatures: d, std: c.residualProjectionStd)
        attentionDropout = weights.dropout(c.attentionDropout)
        residualDropout = weights.dropout(c.residualDropout)
        headCount = c.headCount
        headDimension = c.headDimension
        var scale: Double = 1
        if c.scaleAttentionWeights { scale /= Double(headDimension).squareRoot() }
        if c.scaleAttentionByInverseLayerIndex { scale /= Double(layerIndex + 1) }
        queryScale = Float(scale)
        self.layerIndex = layerIndex
    }

    /// Queries (scaled), keys and values, each `[..., d]`, from `c_attn`'s output `[..., 3d]`.
    private func split(_ qkv: Tensor) -> (query: Tensor, key: Tensor, value: Tensor) {
        let d = headCount * headDimension
        return (
            qkv.slice(axis: -1, 0..<d) * queryScale, qkv.slice(axis: -1, d..<(2 * d)),
            qkv.slice(axis: -1, (2 * d)..<(3 * d))
        )
    }

    /// Attention of `hidden` `[B, L, d]` over itself with the additive `bias` `[B, H, L, L]`;
    /// writes the keys and values into `cache` when given.
    public func callAsFunction(_ hidden: Tensor, bias: Tensor, cache: CausalCache?, tokens: RealTokens) -> Tensor {
        let (query, key, value) = split(tokens.unpack(cAttn(hidden)))
        cache?.writePrefill(layer: layerIndex, keys: key, values: value)
        let context = Attention.multiHead(
            query: query, key: key, value: value, bias: bias, headCount: headCount,
            dropout: attentionDropout.maskSeed())
        return residualDropout(cProj(tokens.pack(context)))
    }

    /// One new position for each batch row in `rows`: `hidden` `[A, d]` attends over the cache
    /// (this position included) under the additive `mask` `[B, length + 1]`.
    public func step(_ hidden: Tensor, rows: [Int], cache: CausalCache, mask: [Float]) -> Tensor {
        let (query, key, value) = split(cAttn(hidden))
        cache.write(layer: layerIndex, rows: rows, keys: key, values: value)
        let context = StepAttention.attend(
            query: query, rows: rows, cache: cache.layers[layerIndex], length: cache.length + 1,
            headCount: headCount, headDimension: headDimension, bias: nil, mask: mask)
        return cProj(context)
    }
}
