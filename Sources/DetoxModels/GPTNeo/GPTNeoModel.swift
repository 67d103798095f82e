// Port of transformers src/transformers/models/gpt_neo/modeling_gpt_neo.py (v4.46.3), `GPTNeoModel`
import DetoxNN
import DetoxTensor

/// GPT-Neo's transformer: token and learned position embeddings, dropout, global and local blocks,
/// a final layer norm. Checkpoint names `wte`, `wpe`, `h.<i>`, `ln_f`.
public final class GPTNeoModel: SlottedModule {
    public let wte: Embedding
    public let wpe: Embedding
    public let dropout: Dropout
    public let blocks: ModuleList<GPTNeoBlock>
    public let finalLayerNorm: LayerNorm

    static let wte = ModuleSlot.child("wte", \GPTNeoModel.wte)
    static let wpe = ModuleSlot.child("wpe", \GPTNeoModel.wpe)
    static let dropout = ModuleSlot.child("drop", \GPTNeoModel.dropout)
    static let blocks = ModuleSlot.child("h", \GPTNeoModel.blocks)
    static let finalLayerNorm = ModuleSlot.child("ln_f", \GPTNeoModel.finalLayerNorm)
    public static let slots = [wte, wpe, dropout, blocks, finalLayerNorm]

    init(configuration c: GPTNeoConfiguration, weights: WeightBuilder) throws {
        wte = try weights.embedding(Self.wte, count: c.vocabularySize, dimension: c.hiddenSize, std: c.initializerRange)
        wpe = try weights.embedding(
            Self.wpe, count: c.maxPositionEmbeddings, dimension: c.hiddenSize, std: c.initializerRange)
        dropout = weights.dropout(c.embeddingDropout)
        let blockWeights = weights.scoped(Self.blocks)
        blocks = ModuleList(
            try (0..<c.layerCount).map {
                try GPTNeoBlock(configuration: c, layerIndex: $0, weights: blockWeights.scoped(String($0)))
            })
        finalLayerNorm = try weights.layerNorm(
            Self.finalLayerNorm, dimension: c.hiddenSize, epsilon: c.layerNormEpsilon)
    }

    /// The final-normed hidden states `[B, L, d]` of a left-padded batch; local layers get the
    /// windowed bias.
    func callAsFunction(_ inputs: CausalInputs, cache: CausalCache?) throws -> Tensor {
        if let bad = inputs.positions.first(where: { $0 >= wpe.count }) {
            throw ModelError.invalidInput("position \(bad) is beyond the model's \(wpe.count) positions")
        }
        let shape = [inputs.batch, inputs.length]
        let embeddings = try wte(inputs.ids, shape: shape) + wpe(inputs.positions, shape: shape)
        let heads = blocks[0].selfAttention.headCount
        var biases: [Int?: Tensor] = [:]
        var hidden = dropout(embeddings)
        for block in blocks.modules {
            let window = block.selfAttention.window
            let bias =
                biases[window] ?? inputs.attentionBias(headCount: heads, window: window, maskedQueries: .causalKeys)
            biases[window] = bias
            hidden = block(hidden, bias: bias, cache: cache)
        }
        return finalLayerNorm(hidden)
    }

    /// One decoding step for each batch row in `rows`: `[A, d]`, final-normed.
    func step(tokens: [Int], rows: [Int], positions: [Int], cache: CausalCache) -> Tensor {
        var hidden = wte.weight.tensor.indexSelect(tokens) + wpe.weight.tensor.indexSelect(positions)
        var masks: [Int?: [Float]] = [:]
        for block in blocks.modules {
            let window = block.selfAttention.window
            let mask = masks[window] ?? cache.stepMask(window: window)
            masks[window] = mask
            hidden = block.step(hidden, rows: rows, cache: cache, mask: mask)
        }
        return finalLayerNorm(hidden)
    }
}
