// Port of transformers src/transformers/models/gpt2/modeling_gpt2.py (v4.46.3), `GPT2Block`
import DetoxNN
import DetoxTensor

/// A pre-norm GPT-2 layer: `h + attn(ln_1(h))`, then `h + mlp(ln_2(h))`.
public final class GPT2Block: SlottedModule {
    public let layerNorm1: LayerNorm
    public let attention: GPT2Attention
    public let layerNorm2: LayerNorm
    public let mlp: GPT2MLP

    static let layerNorm1 = ModuleSlot.child("ln_1", \GPT2Block.layerNorm1)
    static let attention = ModuleSlot.child("attn", \GPT2Block.attention)
    static let layerNorm2 = ModuleSlot.child("ln_2", \GPT2Block.layerNorm2)
    static let mlp = ModuleSlot.child("mlp", \GPT2Block.mlp)
    public static let slots = [layerNorm1, attention, layerNorm2, mlp]

    init(configuration c: GPT2Configuration, layerIndex: Int, weights: WeightBuilder) throws {
        layerNorm1 = try weights.layerNorm(Self.layerNorm1, dimension: c.hiddenSize, epsilon: c.layerNormEpsilon)
        attention = try GPT2Attention(
            configuration: c, layerIndex: layerIndex, weights: weights.scoped(Self.attention))
        layerNorm2 = try weights.layerNorm(Self.layerNorm2, dimension: c.hiddenSize, epsilon: c.layerNormEpsilon)
        mlp = try GPT2MLP(configuration: c, weights: weights.scoped(Self.mlp))
    }

    /// `[B, L, d]` → `[B, L, d]` under the additive `bias` `[B, H, L, L]`.
    func callAsFunction(_ hidden: Tensor, bias: Tensor, cache: CausalCache?) -> Tensor {
        let attended = hidden + attention(layerNorm1(hidden), bias: bias, cache: cache)
        return attended + mlp(layerNorm2(attended))
    }

    /// One decoding step, `[A, d]` → `[A, d]`.
    func step(_ hidden: Tensor, rows: [Int], cache: CausalCache, mask: [Float]) -> Tensor {
        let attended = hidden + attention.step(layerNorm1(hidden), rows: rows, cache: cache, mask: mask)
        return attended + mlp(layerNorm2(attended))
    }
}
