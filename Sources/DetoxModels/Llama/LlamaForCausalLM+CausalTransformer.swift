// Port of transformers src/transformers/models/llama/modeling_llama.py (v4.46.3): `LlamaForCausalLM`
// as a `CausalTransformer`, for the shared generation, loss and policy code.
import DetoxNN
import DetoxTensor

extension LlamaForCausalLM: CausalTransformer {
    public var vocabularySize: Int { settings.vocabularySize }
    public var layerCount: Int { settings.layerCount }
    public var keyValueWidth: Int { settings.keyValueWidth }
    /// `pad_token_id`, else `eos_token_id` (many Llama configs have no pad), else 0.
    public var padTokenID: Int { settings.padTokenID ?? settings.eosTokenID ?? 0 }
    /// `eos_token_id`; a configuration without one never stops early (-1 matches no token).
    public var eosTokenID: Int { settings.eosTokenID ?? -1 }
    /// Rotary positions have no table: any position id embeds.
    public var maxPositionCount: Int? { nil }

    /// The final-normed hidden states `[B, L, hidden]` of a left-padded batch, at the position ids
    /// `generate` derives from its mask; with a `cache`, each layer's rotated keys and its values
    /// for positions `0..<L` go into the cache's buffers, and the per-token layers skip the
    /// padding (``RealTokens``; zeros come back there).
    public func hiddenStates(_ inputs: CausalInputs, cache: CausalCache?) throws -> Tensor {
        let mask = inputs.mask.flatMap { $0.map(Float.init) }
        return try model(
            ids: inputs.ids, batch: inputs.batch, length: inputs.length, positions: inputs.positions,
            bias: T5Inputs.additiveCausalMask(mask, batch: inputs.batch, length: inputs.length),
            caches: cache?.layers, tokens: cache == nil ? .all(inputs) : RealTokens(inputs))
    }

    /// One decoding step of the rows `rows` at cache position `cache.length`, rotated by `positions`.
    public func stepHiddenStates(tokens: [Int], rows: [Int], positions: [Int], cache: CausalCache) -> Tensor {
        model.step(
            tokens: tokens, rows: rows, positions: positions, caches: cache.layers, position: cache.length,
            mask: cache.stepMask())
    }
}
