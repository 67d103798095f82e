// Port of transformers src/transformers/models/gpt_neo/modeling_gpt_neo.py (v4.46.3), `GPTNeoSelfAttention`
import DetoxNN
import DetoxTensor

/// GPT-Neo's self-attention: `q_proj`, `k_proj`, `v_proj` without bias, `out_proj` with bias, no
/// `1/√d` scaling of the scores; a local layer sees only the last `window_size` positions.
public final class GPTNeoSelfAttention: SlottedModule {
    public var kProjection: any LinearLayer
    public var vProjection: any LinearLayer
    public var qProjection: any LinearLayer
    public var outProjection: any LinearLayer
    public let attentionDropout: Dropout
    public let residualDropout: Dropout
    public let headCount: Int
    public let headDimension: Int
    /// `window_size` for a local layer, `nil` for a global one.
    public let window: Int?
    public let layerIndex: Int

    static let kProjection = ModuleSlot.linear("k_proj", \GPTNeoSelfAttention.kProjection)
    static let vProjection = ModuleSlot.linear("v_proj", \GPTNeoSelfAttention.vProjection)
    static let qProjection = ModuleSlot.linear("q_proj", \GPTNeoSelfAttention.qProjection)
    static let outProjection = ModuleSlot.linear("out_proj", \GPTNeoSelfAttention.outProjection)
    static let attentionDropout = ModuleSlot.child("attn_dropout", \GPTNeoSelfAttention.attentionDropout)
    static let residualDropout = ModuleSlot.child("resid_dropout", \GPTNeoSelfAttention.residualDropout)
    public static let slots = [
        kProjection, vProjection, qProjection, outProjection, attentionDropout, residualDropout,
    ]

    init(configuration c: GPTNeoConfiguration, layerIndex: Int, weights: WeightBuilder) throws {
        let d = c.hiddenSize
        let std = c.initializerRange
        kProjection = try weights.linear(Self.kProjection, inFeatures: d, outFeatures: d, bias: false, std: std)
        vProjection = try weights.linear(Self.vProjection, inFeatures: d, outFeatures: d, bias: false, std: std)
        qProjection = try weights.linear(Self.qProjection, inFeatures: d, outFeatures: d, bias: false, std: std)
        outProjection = try weights.linear(Self.outProjection, inFeatures: d, outFeatures: d, bias: true, std: std)
        attentionDropout = weights.dropout(c.attentionDropout)
        residualDropout = weights.dropout(c.residualDropout)
        headCount = c.headCount
        headDimension = c.headDimension
        window = c.attentionLayers[layerIndex] == .local ? c.windowSize : nil
        self.layerIndex = layerIndex
    }

    /// Attention of `hidden` `[B, L, d]` over itself with the additive `bias` `[B, H, L, L]` (this
    /// layer's kind); writes the keys and values into `cache` when given.
    func callAsFunction(_ hidden: Tensor, bias: Tensor, cache: CausalCache?, tokens: RealTokens) -> Tensor {
        let key = tokens.unpack(kProjection(hidden))
        let value = tokens.unpack(vProjection(hidden))
        cache?.writePrefill(layer: layerIndex, keys: key, values: value)
        let context = Attention.multiHead(
            query: tokens.unpack(qProjection(hidden)), key: key, value: value, bias: bias, headCount: headCount,
            dropout: attentionDropout.maskSeed())
        return residualDropout(outProjection(tokens.pack(context)))
    }

    /// One new position for each batch row in `rows`, `[A, d]`, under the step `mask` `[B, length + 1]`.
    func step(_ hidden: Tensor, rows: [Int], cache: CausalCache, mask: [Float]) -> Tensor {
        cache.write(layer: layerIndex, rows: rows, keys: kProjection(hidden), values: vProjection(hidden))
        let context = StepAttention.attend(
            query: qProjection(hidden), rows: rows, cache: cache.layers[layerIndex], length: cache.length + 1,
            headCount: headCount, headDimension: headDimension, bias: nil, mask: mask)
        return outProjection(context)
    }
}
