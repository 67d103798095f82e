// Port of transformers src/transformers/models/gpt2/modeling_gpt2.py (v4.46.3), `GPT2Block`, and
// models/gpt_neo/modeling_gpt_neo.py, `GPTNeoBlock`
import DetoxNN
import DetoxTensor

/// A pre-norm layer of GPT-2 or GPT-Neo: `h + attn(ln_1(h))`, then `h + mlp(ln_2(h))`, with the
/// family's attention (``GPTFamilyConfiguration/Attention``).
public final class GPTBlock<Configuration: GPTFamilyConfiguration>: SlottedModule {
    public let layerNorm1: LayerNorm
    public let attention: Configuration.Attention
    public let layerNorm2: LayerNorm
    public let mlp: GPTMLP

    static var layerNorm1: ModuleSlot<GPTBlock> { .child("ln_1", \GPTBlock.layerNorm1) }
    static var attention: ModuleSlot<GPTBlock> { .child("attn", \GPTBlock.attention) }
    static var layerNorm2: ModuleSlot<GPTBlock> { .child("ln_2", \GPTBlock.layerNorm2) }
    static var mlp: ModuleSlot<GPTBlock> { .child("mlp", \GPTBlock.mlp) }
    public static var slots: [ModuleSlot<GPTBlock>] { [layerNorm1, attention, layerNorm2, mlp] }

    init(configuration c: Configuration, layerIndex: Int, weights: WeightBuilder) throws {
        layerNorm1 = try weights.layerNorm(Self.layerNorm1, dimension: c.hiddenSize, epsilon: c.layerNormEpsilon)
        attention = try Configuration.Attention(
            configuration: c, layerIndex: layerIndex, weights: weights.scoped(Self.attention))
        layerNorm2 = try weights.layerNorm(Self.layerNorm2, dimension: c.hiddenSize, epsilon: c.layerNormEpsilon)
        mlp = try GPTMLP(configuration: c, weights: weights.scoped(Self.mlp))
    }

    /// `[B, L, d]` → `[B, L, d]` under the additive `bias` `[B, H, L, L]`.
    func callAsFunction(_ hidden: Tensor, bias: Tensor, cache: CausalCache?, tokens: RealTokens) -> Tensor {
        let attended = hidden + attention(layerNorm1(hidden), bias: bias, cache: cache, tokens: tokens)
        return attended + mlp(layerNorm2(attended))
    }

    /// One decoding step, `[A, d]` → `[A, d]`.
    func step(_ hidden: Tensor, rows: [Int], cache: CausalCache, mask: [Float]) -> Tensor {
        let attended = hidden + attention.step(layerNorm1(hidden), rows: rows, cache: cache, mask: mask)
        return attended + mlp(layerNorm2(attended))
    }
}

/// A GPT-2 layer.
public typealias GPT2Block = GPTBlock<GPT2Configuration>
