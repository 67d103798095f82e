// Port of transformers src/transformers/models/llama/modeling_llama.py (v4.46.3), `LlamaDecoderLayer`
import DetoxNN
import DetoxTensor

/// One pre-norm block: `h + attention(norm(h))`, then `h + mlp(norm(h))`, both norms RMS norms.
public final class LlamaDecoderLayer: SlottedModule {
    public let selfAttention: LlamaAttention
    public let mlp: LlamaMLP
    public let inputLayerNorm: RMSNorm
    public let postAttentionLayerNorm: RMSNorm

    static let selfAttention = ModuleSlot.child("self_attn", \LlamaDecoderLayer.selfAttention)
    static let mlp = ModuleSlot.child("mlp", \LlamaDecoderLayer.mlp)
    static let inputLayerNorm = ModuleSlot.child("input_layernorm", \LlamaDecoderLayer.inputLayerNorm)
    static let postAttentionLayerNorm = ModuleSlot.child(
        "post_attention_layernorm", \LlamaDecoderLayer.postAttentionLayerNorm)
    public static let slots = [selfAttention, mlp, inputLayerNorm, postAttentionLayerNorm]

    init(settings s: LlamaSettings, weights: WeightBuilder) throws {
        selfAttention = try LlamaAttention(settings: s, weights: weights.scoped(Self.selfAttention))
        mlp = try LlamaMLP(settings: s, weights: weights.scoped(Self.mlp))
        inputLayerNorm = try weights.rmsNorm(Self.inputLayerNorm, dimension: s.hiddenSize, epsilon: s.rmsNormEpsilon)
        postAttentionLayerNorm = try weights.rmsNorm(
            Self.postAttentionLayerNorm, dimension: s.hiddenSize, epsilon: s.rmsNormEpsilon)
    }

    /// `[B, L, hidden]` → `[B, L, hidden]`, or packed `[N, hidden]` → `[N, hidden]` (see
    /// ``LlamaAttention`` for the arguments).
    func callAsFunction(
        _ hidden: Tensor, positions: [Int], bias: Tensor, cache: KeyValueBuffer?, tokens: RealTokens
    ) -> Tensor {
        let attended =
            hidden
            + selfAttention(inputLayerNorm(hidden), positions: positions, bias: bias, cache: cache, tokens: tokens)
        return attended + mlp(postAttentionLayerNorm(attended))
    }

    /// One decoding step, `[A, hidden]` → `[A, hidden]` (see ``LlamaAttention/step``).
    func step(
        _ hidden: Tensor, rows: [Int], positions: [Int], cache: KeyValueBuffer, position: Int, mask: [Float]
    ) -> Tensor {
        let attended =
            hidden
            + selfAttention.step(
                inputLayerNorm(hidden), rows: rows, positions: positions, cache: cache, position: position,
                mask: mask)
        return attended + mlp(postAttentionLayerNorm(attended))
    }
}
