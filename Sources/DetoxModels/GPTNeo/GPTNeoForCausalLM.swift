// Port of transformers src/transformers/models/gpt_neo/modeling_gpt_neo.py (v4.46.3), `GPTNeoForCausalLM`
import DetoxNN
import DetoxTensor
import Foundation

/// GPT-Neo with its language-model head (tied to `transformer.wte.weight` unless
/// `tie_word_embeddings` is false).
///
/// Parameters carry their Hugging Face checkpoint names (`transformer.h.0.attn.attention.q_proj.weight`,
/// ...); the projections are linear slots (`q_proj`, `k_proj`, `v_proj`, `out_proj`, `c_fc`,
/// `c_proj`) for LoRA and 4-bit layers.
public final class GPTNeoForCausalLM: SlottedModule {
    public let configuration: GPTNeoConfiguration
    public let transformer: GPTNeoModel
    /// The output projection `[vocab, hidden]`; `nil` when tied to `transformer.wte`.
    public var lmHead: (any LinearLayer)?

    static let transformer = ModuleSlot.child("transformer", \GPTNeoForCausalLM.transformer)
    static let lmHead = ModuleSlot.linear("lm_head", \GPTNeoForCausalLM.lmHead)
    public static let slots = [transformer, lmHead]

    /// A randomly initialised model (transformers' `_init_weights` standard deviations, seeded).
    public convenience init(configuration: GPTNeoConfiguration, seed: UInt64 = 0) throws {
        try configuration.validate(file: "GPTNeoConfiguration")
        try self.init(
            configuration: configuration,
            weights: WeightBuilder(
                generator: SeededGenerator(seed: seed), dropoutSeeds: GPT2LMHeadModel.dropoutSeeds(seed)))
    }

    /// A model built from checkpoint tensors named as in Hugging Face files (a bare `GPTNeoModel`
    /// checkpoint without the `transformer.` prefix loads too; unused keys are ignored).
    public convenience init(
        configuration: GPTNeoConfiguration, tensors: [String: Tensor], source: String = "checkpoint"
    ) throws {
        try configuration.validate(file: "GPTNeoConfiguration")
        try self.init(
            configuration: configuration,
            weights: WeightBuilder(
                checkpoint: CausalCheckpoint.prefixed(tensors, with: "transformer"), source: source,
                dropoutSeeds: GPT2LMHeadModel.dropoutSeeds(0)))
    }

    init(configuration c: GPTNeoConfiguration, weights: WeightBuilder) throws {
        configuration = c
        (transformer, lmHead) = try ModelError.building {
            let transformer = try GPTNeoModel(configuration: c, weights: weights.scoped(Self.transformer))
            let lmHead: (any LinearLayer)? =
                c.tieWordEmbeddings
                ? nil
                : try weights.linear(
                    Self.lmHead, inFeatures: c.hiddenSize, outFeatures: c.vocabularySize, bias: false,
                    std: c.initializerRange)
            return (transformer, lmHead)
        }
    }

    /// Loads a Hugging Face GPT-Neo folder (`config.json` and the weights through ``ModelFolder``).
    public static func load(folder: URL) throws -> GPTNeoForCausalLM {
        let configuration = try GPTNeoConfiguration.load(from: folder.appendingPathComponent("config.json"))
        let (tensors, source) = try ModelFolder(folder).weights()
        return try GPTNeoForCausalLM(configuration: configuration, tensors: tensors, source: source)
    }
}

extension GPTNeoForCausalLM: CausalTransformer {
    public var vocabularySize: Int { configuration.vocabularySize }
    public var layerCount: Int { configuration.layerCount }
    public var keyValueWidth: Int { configuration.hiddenSize }
    /// `pad_token_id` when the configuration sets one, else EOS.
    public var padTokenID: Int { configuration.padTokenID ?? configuration.eosTokenID }
    public var eosTokenID: Int { configuration.eosTokenID }
    public var maxPositionCount: Int? { configuration.maxPositionEmbeddings }

    public func hiddenStates(_ inputs: CausalInputs, cache: CausalCache?) throws -> Tensor {
        try transformer(inputs, cache: cache)
    }

    public func stepHiddenStates(tokens: [Int], rows: [Int], positions: [Int], cache: CausalCache) -> Tensor {
        transformer.step(tokens: tokens, rows: rows, positions: positions, cache: cache)
    }

    public func logits(hidden: Tensor) -> Tensor {
        if let lmHead { return lmHead(hidden) }
        return hidden.matmul(transformer.wte.weight.tensor, transposeOther: true)
    }
}

extension GPTNeoForCausalLM: LanguageModel {
    /// An untied `lm_head` (bitsandbytes' default skip list).
    public func keepsFullPrecision(linearAt path: String) -> Bool { path == "lm_head" }

    public var modelType: String { "gpt_neo" }

    /// A ``CausalLMWithValueHead`` around this model.
    public func withValueHead(seed: UInt64) -> any PolicyLanguageModel {
        CausalLMWithValueHead(
            model: self, hiddenSize: configuration.hiddenSize,
            dropoutProbability: configuration.summaryDropoutProbability ?? 0.1, seed: seed)
    }
}
