// Port of transformers src/transformers/models/llama/modeling_llama.py (v4.46.3), `LlamaAttention`
// (also `Qwen2Attention` of models/qwen2/modeling_qwen2.py, which differs only in its biases)
import DetoxNN
import DetoxTensor

/// Llama's self-attention: query, key and value projections, the rotary embedding on queries and
/// keys, grouped-query attention scaled by `1/√head_dim` with an f32 softmax, and `o_proj`.
///
/// The projections are `any LinearLayer` slots named as in checkpoints, so LoRA or 4-bit layers
/// can be swapped in by module name.
public final class LlamaAttention: SlottedModule {
    public var qProjection: any LinearLayer
    public var kProjection: any LinearLayer
    public var vProjection: any LinearLayer
    public var oProjection: any LinearLayer
    /// Dropout on the attention weights (`attention_dropout`, training only).
    public let dropout: Dropout

    public let headCount: Int
    public let keyValueHeadCount: Int
    public let headDimension: Int
    public let rotary: Rotary

    static let q = ModuleSlot.linear("q_proj", \LlamaAttention.qProjection)
    static let k = ModuleSlot.linear("k_proj", \LlamaAttention.kProjection)
    static let v = ModuleSlot.linear("v_proj", \LlamaAttention.vProjection)
    static let o = ModuleSlot.linear("o_proj", \LlamaAttention.oProjection)
    static let dropout = ModuleSlot.child("attention_dropout", \LlamaAttention.dropout)
    public static let slots = [q, k, v, o, dropout]

    init(settings s: LlamaSettings, weights: WeightBuilder) throws {
        let std = s.initializerRange
        qProjection = try weights.linear(
            Self.q, inFeatures: s.hiddenSize, outFeatures: s.queryWidth, bias: s.queryKeyValueBias, std: std)
        kProjection = try weights.linear(
            Self.k, inFeatures: s.hiddenSize, outFeatures: s.keyValueWidth, bias: s.queryKeyValueBias, std: std)
        vProjection = try weights.linear(
            Self.v, inFeatures: s.hiddenSize, outFeatures: s.keyValueWidth, bias: s.queryKeyValueBias, std: std)
        oProjection = try weights.linear(
            Self.o, inFeatures: s.queryWidth, outFeatures: s.hiddenSize, bias: s.outputBias, std: std)
        dropout = weights.dropout(s.attentionDropout)
        headCount = s.headCount
        keyValueHeadCount = s.keyValueHeadCount
        headDimension = s.headDimension
        rotary = s.rotary
    }

    /// `1/√head_dim`, folded into the query (transformers divides the scores by `√head_dim`).
    var scale: Float { 1 / Float(headDimension).squareRoot() }

    /// Attention of a whole sequence over itself.
    ///
    /// - Parameters:
    ///   - hidden: `[B, L, hidden]`, already normed, or the packed `[N, hidden]` of `tokens`.
    ///   - positions: the position id of each row of `hidden`.
    ///   - bias: additive `[B, 1, L, L]` causal and padding mask.
    ///   - cache: when given, receives the rotated keys and the values at positions `0..<L`.
    ///   - tokens: how `hidden` is packed; projections run packed, the attention on `[B, L, …]`.
    /// - Returns: shaped as `hidden`.
    func callAsFunction(
        _ hidden: Tensor, positions: [Int], bias: Tensor, cache: KeyValueBuffer?, tokens: RealTokens
    ) -> Tensor {
        let query = tokens.unpack(rotary(qProjection(hidden), positions: positions, headCount: headCount))
        let key = tokens.unpack(rotary(kProjection(hidden), positions: positions, headCount: keyValueHeadCount))
        let value = tokens.unpack(vProjection(hidden))
        cache?.writePrefix(keys: key, values: value)
        let context = Attention.multiHead(
            query: query * scale, key: key, value: value, bias: bias, headCount: headCount,
            keyValueHeadCount: keyValueHeadCount, dropout: dropout.maskSeed())
        return oProjection(tokens.pack(context))
    }

    /// One decoding step: the new token of each batch row in `rows` at cache position `position`,
    /// attending over positions `0...position` of `cache` (no autograd).
    ///
    /// - Parameters:
    ///   - hidden: `[A, hidden]`, already normed, one row per entry of `rows`.
    ///   - positions: each row's position id (for the rotary embedding).
    ///   - mask: additive `[B, position + 1]` mask over the cached positions (padding).
    /// - Returns: `[A, hidden]`.
    func step(
        _ hidden: Tensor, rows: [Int], positions: [Int], cache: KeyValueBuffer, position: Int, mask: [Float]
    ) -> Tensor {
        let query = rotary(qProjection(hidden), positions: positions, headCount: headCount)
        let key = rotary(kProjection(hidden), positions: positions, headCount: keyValueHeadCount)
        cache.write(position: position, rows: rows, keys: key, values: vProjection(hidden))
        let context = StepAttention.attend(
            query: query * scale, rows: rows, cache: cache, length: position + 1, headCount: headCount,
            headDimension: headDimension, keyValueHeadCount: keyValueHeadCount, bias: nil, mask: mask)
        return oProjection(context)
    }
}
