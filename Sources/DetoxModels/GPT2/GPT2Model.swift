// Port of transformers src/transformers/models/gpt2/modeling_gpt2.py (v4.46.3), `GPT2Model`
import DetoxNN
import DetoxTensor

/// GPT-2's transformer: token and learned position embeddings, dropout, the blocks, a final layer
/// norm. Checkpoint names `wte`, `wpe`, `h.<i>`, `ln_f`.
public final class GPT2Model: SlottedModule {
    public let wte: Embedding
    public let wpe: Embedding
    public let dropout: Dropout
    public let blocks: ModuleList<GPT2Block>
    public let finalLayerNorm: LayerNorm

    static let wte = ModuleSlot.child("wte", \GPT2Model.wte)
    static let wpe = ModuleSlot.child("wpe", \GPT2Model.wpe)
    static let dropout = ModuleSlot.child("drop", \GPT2Model.dropout)
    static let blocks = ModuleSlot.child("h", \GPT2Model.blocks)
    static let finalLayerNorm = ModuleSlot.child("ln_f", \GPT2Model.finalLayerNorm)
    public static let slots = [wte, wpe, dropout, blocks, finalLayerNorm]

    init(configuration c: GPT2Configuration, weights: WeightBuilder) throws {
        wte = try weights.embedding(
            Self.wte, count: c.vocabularySize, dimension: c.hiddenSize, std: c.initializerRange)
        wpe = try weights.embedding(
            Self.wpe, count: c.positionCount, dimension: c.hiddenSize, std: c.initializerRange)
        dropout = weights.dropout(c.embeddingDropout)
        let blockWeights = weights.scoped(Self.blocks)
        blocks = ModuleList(
            try (0..<c.layerCount).map {
                try GPT2Block(configuration: c, layerIndex: $0, weights: blockWeights.scoped(String($0)))
            })
        finalLayerNorm = try weights.layerNorm(
            Self.finalLayerNorm, dimension: c.hiddenSize, epsilon: c.layerNormEpsilon)
    }

    /// The final-normed hidden states `[B, L, d]` of a left-padded batch.
    /// - Throws: ``ModelError/invalidInput(_:)`` for a position beyond the position table.
    func callAsFunction(_ inputs: CausalInputs, cache: CausalCache?) throws -> Tensor {
        if let bad = inputs.positions.first(where: { $0 >= wpe.count }) {
            throw ModelError.invalidInput("position \(bad) is beyond the model's \(wpe.count) positions")
        }
        let shape = [inputs.batch, inputs.length]
        let embeddings = try wte(inputs.ids, shape: shape) + wpe(inputs.positions, shape: shape)
        let bias = inputs.attentionBias(headCount: blocks[0].attention.headCount)
        var hidden = dropout(embeddings)
        for block in blocks.modules { hidden = block(hidden, bias: bias, cache: cache) }
        return finalLayerNorm(hidden)
    }

    /// One decoding step for each batch row in `rows`: `[A, d]`, final-normed.
    func step(tokens: [Int], rows: [Int], positions: [Int], cache: CausalCache) -> Tensor {
        var hidden = wte.weight.tensor.indexSelect(tokens) + wpe.weight.tensor.indexSelect(positions)
        let mask = cache.stepMask()
        for block in blocks.modules { hidden = block.step(hidden, rows: rows, cache: cache, mask: mask) }
        return finalLayerNorm(hidden)
    }
}
