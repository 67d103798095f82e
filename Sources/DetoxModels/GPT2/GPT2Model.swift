// Port of transformers src/transformers/models/gpt2/modeling_gpt2.py (v4.46.3), `GPT2Model`, and
// models/gpt_neo/modeling_gpt_neo.py, `GPTNeoModel`
import DetoxNN
import DetoxTensor

/// The transformer of GPT-2 and GPT-Neo: token and learned position embeddings, dropout, the
/// blocks, a final layer norm. Checkpoint names `wte`, `wpe`, `drop`, `h.<i>`, `ln_f`.
public final class GPTModel<Configuration: GPTFamilyConfiguration>: SlottedModule {
    public let wte: Embedding
    public let wpe: Embedding
    public let dropout: Dropout
    public let blocks: ModuleList<GPTBlock<Configuration>>
    public let finalLayerNorm: LayerNorm

    static var wte: ModuleSlot<GPTModel> { .child("wte", \GPTModel.wte) }
    static var wpe: ModuleSlot<GPTModel> { .child("wpe", \GPTModel.wpe) }
    static var dropout: ModuleSlot<GPTModel> { .child("drop", \GPTModel.dropout) }
    static var blocks: ModuleSlot<GPTModel> { .child("h", \GPTModel.blocks) }
    static var finalLayerNorm: ModuleSlot<GPTModel> { .child("ln_f", \GPTModel.finalLayerNorm) }
    public static var slots: [ModuleSlot<GPTModel>] { [wte, wpe, dropout, blocks, finalLayerNorm] }

    init(configuration c: Configuration, weights: WeightBuilder) throws {
        wte = try weights.embedding(
            Self.wte, count: c.vocabularySize, dimension: c.hiddenSize, std: c.initializerRange)
        wpe = try weights.embedding(
            Self.wpe, count: c.positionCount, dimension: c.hiddenSize, std: c.initializerRange)
        dropout = weights.dropout(c.embeddingDropout)
        let blockWeights = weights.scoped(Self.blocks)
        blocks = ModuleList(
            try (0..<c.layerCount).map {
                try GPTBlock(configuration: c, layerIndex: $0, weights: blockWeights.scoped(String($0)))
            })
        finalLayerNorm = try weights.layerNorm(
            Self.finalLayerNorm, dimension: c.hiddenSize, epsilon: c.layerNormEpsilon)
    }

    /// The final-normed hidden states `[B, L, d]` of a left-padded batch; each layer gets the bias
    /// of its window (one bias per distinct window).
    /// - Throws: ``ModelError/invalidInput(_:)`` for a position beyond the position table.
    func callAsFunction(_ inputs: CausalInputs, cache: CausalCache?) throws -> Tensor {
        if let bad = inputs.positions.first(where: { $0 >= wpe.count }) {
            throw ModelError.invalidInput("position \(bad) is beyond the model's \(wpe.count) positions")
        }
        // A prefill (with a cache) runs its per-token layers on the real tokens alone.
        let tokens = cache == nil ? RealTokens.all(inputs) : RealTokens(inputs)
        let embeddings =
            try wte(tokens.pack(inputs.ids), shape: tokens.shape)
            + wpe(tokens.pack(inputs.positions), shape: tokens.shape)
        let heads = blocks[0].attention.headCount
        var biases: [Int?: Tensor] = [:]
        var hidden = dropout(embeddings)
        for block in blocks.modules {
            let window = block.attention.window
            let bias =
                biases[window]
                ?? inputs.attentionBias(
                    headCount: heads, window: window, maskedQueries: Configuration.Attention.maskedQueries)
            biases[window] = bias
            hidden = block(hidden, bias: bias, cache: cache, tokens: tokens)
        }
        return tokens.unpack(finalLayerNorm(hidden))
    }

    /// One decoding step for each batch row in `rows`: `[A, d]`, final-normed.
    func step(tokens: [Int], rows: [Int], positions: [Int], cache: CausalCache) -> Tensor {
        var hidden = wte.weight.tensor.indexSelect(tokens) + wpe.weight.tensor.indexSelect(positions)
        var masks: [Int?: [Float]] = [:]
        for block in blocks.modules {
            let window = block.attention.window
            let mask = masks[window] ?? cache.stepMask(window: window)
            masks[window] = mask
            hidden = block.step(hidden, rows: rows, cache: cache, mask: mask)
        }
        return finalLayerNorm(hidden)
    }
}

/// GPT-2's transformer.
public typealias GPT2Model = GPTModel<GPT2Configuration>
