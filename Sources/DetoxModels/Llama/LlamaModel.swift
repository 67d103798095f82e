// Port of transformers src/transformers/models/llama/modeling_llama.py (v4.46.3), `LlamaModel`
import DetoxNN
import DetoxTensor

/// The decoder stack: token embeddings, the decoder layers and a final RMS norm (`model.*` in
/// checkpoints). The rotary embedding has no weights; every layer's attention holds it.
public final class LlamaModel: SlottedModule {
    public let embedTokens: Embedding
    public let layers: ModuleList<LlamaDecoderLayer>
    public let norm: RMSNorm

    static let embedTokens = ModuleSlot.child("embed_tokens", \LlamaModel.embedTokens)
    static let layers = ModuleSlot.child("layers", \LlamaModel.layers)
    static let norm = ModuleSlot.child("norm", \LlamaModel.norm)
    public static let slots = [embedTokens, layers, norm]

    init(settings s: LlamaSettings, weights: WeightBuilder) throws {
        embedTokens = try weights.embedding(
            Self.embedTokens, count: s.vocabularySize, dimension: s.hiddenSize, std: s.initializerRange,
            paddingIndex: s.padTokenID)
        let layerWeights = weights.scoped(Self.layers)
        layers = ModuleList(
            try (0..<s.layerCount).map { try LlamaDecoderLayer(settings: s, weights: layerWeights.scoped(String($0))) })
        norm = try weights.rmsNorm(Self.norm, dimension: s.hiddenSize, epsilon: s.rmsNormEpsilon)
    }

    /// The final-normed hidden states `[B, L, hidden]` of a batch of token ids.
    ///
    /// - Parameters:
    ///   - ids: row-major `[B·L]` ids, checked against the vocabulary by the embedding.
    ///   - positions: each token's position id (`[B·L]`).
    ///   - bias: additive `[B, 1, L, L]` causal and padding mask.
    ///   - caches: one buffer per layer to receive the keys and values of positions `0..<L`, or `nil`.
    ///   - tokens: the tokens the per-token layers run on (all of them, or a prefill's real ones).
    func callAsFunction(
        ids: [Int], batch: Int, length: Int, positions: [Int], bias: Tensor, caches: [KeyValueBuffer]?,
        tokens: RealTokens
    ) throws -> Tensor {
        var hidden = try embedTokens(tokens.pack(ids), shape: tokens.shape)
        let positions = tokens.pack(positions)
        for (index, layer) in layers.modules.enumerated() {
            hidden = layer(hidden, positions: positions, bias: bias, cache: caches?[index], tokens: tokens)
        }
        return tokens.unpack(norm(hidden))
    }

    /// One decoding step for the batch rows `rows`: `[A, hidden]` final-normed hidden states of
    /// `tokens` at cache position `position` (see ``LlamaAttention`` for the arguments).
    /// The tokens come from generation, so they are in the vocabulary (`indexSelect` checks).
    func step(
        tokens: [Int], rows: [Int], positions: [Int], caches: [KeyValueBuffer], position: Int, mask: [Float]
    ) -> Tensor {
        var hidden = embedTokens.weight.tensor.indexSelect(tokens)
        for (index, layer) in layers.modules.enumerated() {
            hidden = layer.step(
                hidden, rows: rows, positions: positions, cache: caches[index], position: position, mask: mask)
        }
        return norm(hidden)
    }
}
