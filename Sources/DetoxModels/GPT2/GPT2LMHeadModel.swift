// Port of transformers src/transformers/models/gpt2/modeling_gpt2.py (v4.46.3), `GPT2LMHeadModel`
import DetoxNN
import DetoxTensor
import Foundation

/// GPT-2 with its language-model head (tied to `transformer.wte.weight` unless
/// `tie_word_embeddings` is false).
///
/// Parameters carry their Hugging Face checkpoint names (`transformer.wte.weight`,
/// `transformer.h.0.attn.c_attn.weight` stored `[in, out]` as transformers' `Conv1D`, ...), so
/// ``stateDict()`` is what `save_pretrained` writes. The attention and feed-forward projections are
/// linear slots (`transformer.h.0.attn.c_attn`, `transformer.h.1.mlp.c_fc`, ...) for LoRA and 4-bit
/// layers. Dropout is active only after `setTraining(true)`.
public final class GPT2LMHeadModel: SlottedModule {
    public let configuration: GPT2Configuration
    public let transformer: GPT2Model
    /// The output projection `[vocab, n_embd]`; `nil` when tied to `transformer.wte`.
    public var lmHead: (any LinearLayer)?

    static let transformer = ModuleSlot.child("transformer", \GPT2LMHeadModel.transformer)
    static let lmHead = ModuleSlot.linear("lm_head", \GPT2LMHeadModel.lmHead)
    public static let slots = [transformer, lmHead]

    /// The dropout seeds of a model built with `seed` (`seed + n·φ`, φ the 64-bit golden ratio).
    static func dropoutSeeds(_ seed: UInt64) -> DropoutSeeds {
        let golden: UInt64 = 0x9E37_79B9_7F4A_7C15
        return DropoutSeeds(first: seed &+ golden, stride: golden)
    }

    /// A randomly initialised model (the standard deviations of transformers' `_init_weights`, seeded).
    public convenience init(configuration: GPT2Configuration, seed: UInt64 = 0) throws {
        try configuration.validate(file: "GPT2Configuration")
        try self.init(
            configuration: configuration,
            weights: WeightBuilder(generator: SeededGenerator(seed: seed), dropoutSeeds: Self.dropoutSeeds(seed)))
    }

    /// A model built from checkpoint tensors named as in Hugging Face files.
    ///
    /// A bare `GPT2Model` checkpoint (keys without the `transformer.` prefix, as the original
    /// `gpt2` files) loads too, as `from_pretrained` does. Keys the model does not use (the tied
    /// `lm_head.weight`, the `attn.bias` / `attn.masked_bias` buffers of old files, a value head)
    /// are ignored.
    /// - Throws: ``ModelError/missingTensor(source:key:)`` or ``ModelError/shapeMismatch(source:key:expected:actual:)``.
    public convenience init(configuration: GPT2Configuration, tensors: [String: Tensor], source: String = "checkpoint")
        throws
    {
        try configuration.validate(file: "GPT2Configuration")
        try self.init(
            configuration: configuration,
            weights: WeightBuilder(
                checkpoint: CausalCheckpoint.prefixed(tensors, with: "transformer"), source: source,
                dropoutSeeds: Self.dropoutSeeds(0)))
    }

    init(configuration c: GPT2Configuration, weights: WeightBuilder) throws {
        configuration = c
        (transformer, lmHead) = try ModelError.building {
            let transformer = try GPT2Model(configuration: c, weights: weights.scoped(Self.transformer))
            let lmHead: (any LinearLayer)? =
                c.tieWordEmbeddings
                ? nil
                : try weights.linear(
                    Self.lmHead, inFeatures: c.hiddenSize, outFeatures: c.vocabularySize, bias: false,
                    std: c.initializerRange)
            return (transformer, lmHead)
        }
    }

    /// Loads a Hugging Face GPT-2 folder (`config.json` and the weights, read by
    /// ``ModelFolder/weights()``: safetensors, `.bin` or sharded, f16/bf16 widened).
    public static func load(folder: URL) throws -> GPT2LMHeadModel {
        let configuration = try GPT2Configuration.load(from: folder.appendingPathComponent("config.json"))
        let (tensors, source) = try ModelFolder(folder).weights()
        return try GPT2LMHeadModel(configuration: configuration, tensors: tensors, source: source)
    }
}

extension GPT2LMHeadModel: CausalTransformer {
    public var vocabularySize: Int { configuration.vocabularySize }
    public var layerCount: Int { configuration.layerCount }
    public var keyValueWidth: Int { configuration.hiddenSize }
    /// `pad_token_id` when the configuration sets one, else EOS (GPT-2 has no pad token).
    public var padTokenID: Int { configuration.padTokenID ?? configuration.eosTokenID }
    public var eosTokenID: Int { configuration.eosTokenID }
    public var maxPositionCount: Int? { configuration.positionCount }

    public func hiddenStates(_ inputs: CausalInputs, cache: CausalCache?) throws -> Tensor {
        try transformer(inputs, cache: cache)
    }

    public func stepHiddenStates(tokens: [Int], rows: [Int], positions: [Int], cache: CausalCache) -> Tensor {
        transformer.step(tokens: tokens, rows: rows, positions: positions, cache: cache)
    }

    /// Through `lm_head`, or `hidden · wteᵀ` when tied.
    public func logits(hidden: Tensor) -> Tensor {
        if let lmHead { return lmHead(hidden) }
        return hidden.matmul(transformer.wte.weight.tensor, transposeOther: true)
    }
}
