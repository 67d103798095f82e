// Port of transformers src/transformers/models/gpt_neo/modeling_gpt_neo.py (v4.46.3), `GPTNeoAttention`,
// `GPTNeoMLP` and `GPTNeoBlock`
import DetoxNN
import DetoxTensor

/// `GPTNeoAttention`: the self-attention under the checkpoint name `attention`.
public final class GPTNeoAttention: SlottedModule {
    public let attention: GPTNeoSelfAttention
    static let attention = ModuleSlot.child("attention", \GPTNeoAttention.attention)
    public static let slots = [attention]

    init(configuration c: GPTNeoConfiguration, layerIndex: Int, weights: WeightBuilder) throws {
        attention = try GPTNeoSelfAttention(
            configuration: c, layerIndex: layerIndex, weights: weights.scoped(Self.attention))
    }
}

/// GPT-Neo's feed-forward: `dropout(c_proj(act(c_fc(x))))` with `nn.Linear` projections.
public final class GPTNeoMLP: SlottedModule {
    public var cFc: any LinearLayer
    public var cProj: any LinearLayer
    public let dropout: Dropout
    public let activation: Activation

    static let cFc = ModuleSlot.linear("c_fc", \GPTNeoMLP.cFc)
    static let cProj = ModuleSlot.linear("c_proj", \GPTNeoMLP.cProj)
    static let dropout = ModuleSlot.child("dropout", \GPTNeoMLP.dropout)
    public static let slots = [cFc, cProj, dropout]

    init(configuration c: GPTNeoConfiguration, weights: WeightBuilder) throws {
        cFc = try weights.linear(
            Self.cFc, inFeatures: c.hiddenSize, outFeatures: c.feedForwardSize, bias: true, std: c.initializerRange)
        cProj = try weights.linear(
            Self.cProj, inFeatures: c.feedForwardSize, outFeatures: c.hiddenSize, bias: true,
            std: c.initializerRange)
        dropout = weights.dropout(c.residualDropout)
        activation = try c.activation()
    }

    func callAsFunction(_ hidden: Tensor) -> Tensor { dropout(cProj(activation(cFc(hidden)))) }
}

/// A pre-norm GPT-Neo layer: `h + attn(ln_1(h))`, then `h + mlp(ln_2(h))`.
public final class GPTNeoBlock: SlottedModule {
    public let layerNorm1: LayerNorm
    public let attention: GPTNeoAttention
    public let layerNorm2: LayerNorm
    public let mlp: GPTNeoMLP

    static let layerNorm1 = ModuleSlot.child("ln_1", \GPTNeoBlock.layerNorm1)
    static let attention = ModuleSlot.child("attn", \GPTNeoBlock.attention)
    static let layerNorm2 = ModuleSlot.child("ln_2", \GPTNeoBlock.layerNorm2)
    static let mlp = ModuleSlot.child("mlp", \GPTNeoBlock.mlp)
    public static let slots = [layerNorm1, attention, layerNorm2, mlp]

    init(configuration c: GPTNeoConfiguration, layerIndex: Int, weights: WeightBuilder) throws {
        layerNorm1 = try weights.layerNorm(Self.layerNorm1, dimension: c.hiddenSize, epsilon: c.layerNormEpsilon)
        attention = try GPTNeoAttention(
            configuration: c, layerIndex: layerIndex, weights: weights.scoped(Self.attention))
        layerNorm2 = try weights.layerNorm(Self.layerNorm2, dimension: c.hiddenSize, epsilon: c.layerNormEpsilon)
        mlp = try GPTNeoMLP(configuration: c, weights: weights.scoped(Self.mlp))
    }

    var selfAttention: GPTNeoSelfAttention { attention.attention }

    func callAsFunction(_ hidden: Tensor, bias: Tensor, cache: CausalCache?) -> Tensor {
        let attended = hidden + selfAttention(layerNorm1(hidden), bias: bias, cache: cache)
        return attended + mlp(layerNorm2(attended))
    }

    func step(_ hidden: Tensor, rows: [Int], cache: CausalCache, mask: [Float]) -> Tensor {
        let attended = hidden + selfAttention.step(layerNorm1(hidden), rows: rows, cache: cache, mask: mask)
        return attended + mlp(layerNorm2(attended))
    }
}
