// Port of transformers src/transformers/models/gpt2/modeling_gpt2.py (v4.46.3), `GPT2LMHeadModel`,
// and models/gpt_neo/modeling_gpt_neo.py, `GPTNeoForCausalLM`
import DetoxNN
import DetoxTensor
import Foundation

/// GPT-2 (``GPT2LMHeadModel``) or GPT-Neo (``GPTNeoForCausalLM``) with its language-model head,
/// tied to `transformer.wte.weight` unless `tie_word_embeddings` is false.
///
/// Parameters carry their Hugging Face checkpoint names (`transformer.wte.weight`,
/// `transformer.h.0.attn.c_attn.weight` stored `[in, out]` as transformers' `Conv1D`,
/// `transformer.h.0.attn.attention.q_proj.weight`, ...), so ``stateDict()`` is what
/// `save_pretrained` writes. The attention and feed-forward projections are linear slots
/// (`transformer.h.0.attn.c_attn`, `transformer.h.1.mlp.c_fc`, `q_proj`, `out_proj`, ...) for LoRA
/// and 4-bit layers. Dropout is active only after `setTraining(true)`.
public final class GPTForCausalLM<Configuration: GPTFamilyConfiguration>: SlottedModule {
    public let configuration: Configuration
    public let transformer: GPTModel<Configuration>
    /// The output projection `[vocab, hidden]`; `nil` when tied to `transformer.wte`.
    public var lmHead: (any LinearLayer)?

    static var transformer: ModuleSlot<GPTForCausalLM> { .child("transformer", \GPTForCausalLM.transformer) }
    static var lmHead: ModuleSlot<GPTForCausalLM> { .linear("lm_head", \GPTForCausalLM.lmHead) }
    public static var slots: [ModuleSlot<GPTForCausalLM>] { [transformer, lmHead] }

    /// A randomly initialised model (the standard deviations of transformers' `_init_weights`, seeded).
    public convenience init(configuration: Configuration, seed: UInt64 = 0) throws {
        try configuration.validate(file: String(describing: Configuration.self))
        try self.init(
            configuration: configuration,
            weights: WeightBuilder(generator: SeededGenerator(seed: seed), dropoutSeeds: .model(seed: seed)))
    }

    /// A model built from checkpoint tensors named as in Hugging Face files.
    ///
    /// A bare base-model checkpoint (keys without the `transformer.` prefix, as the original
    /// `gpt2` files) loads too, as `from_pretrained` does. Keys the model does not use (the tied
    /// `lm_head.weight`, the `attn.bias` / `attn.masked_bias` buffers of old files, a value head)
    /// are ignored.
    /// - Throws: ``ModelError/missingTensor(source:key:)`` or ``ModelError/shapeMismatch(source:key:expected:actual:)``.
    public convenience init(configuration: Configuration, tensors: [String: Tensor], source: String = "checkpoint")
        throws
    {
        try configuration.validate(file: String(describing: Configuration.self))
        try self.init(
            configuration: configuration,
            weights: WeightBuilder(
                checkpoint: CausalCheckpoint.prefixed(tensors, with: "transformer"), source: source,
                dropoutSeeds: .model(seed: 0)))
    }

    init(configuration c: Configuration, weights: WeightBuilder) throws {
        configuration = c
        (transformer, lmHead) = try ModelError.building {
            let transformer = try GPTModel(configuration: c, weights: weights.scoped(Self.transformer))
            let lmHead = try weights.languageModelHead(
                Self.lmHead, tied: c.tieWordEmbeddings, hiddenSize: c.hiddenSize, vocabularySize: c.vocabularySize,
                std: c.initializerRange)
            return (transformer, lmHead)
        }
    }

    /// Loads a Hugging Face folder of the family (`config.json` and the weights, read by
    /// ``ModelFolder/weights()``: safetensors, `.bin` or sharded, f16/bf16 widened).
    public static func load(folder: URL) throws -> GPTForCausalLM {
        let (configuration, tensors, source) = try files(folder)
        return try GPTForCausalLM(configuration: configuration, tensors: tensors, source: source)
    }

    /// The folder's model with TRL's value head: from the weights when they hold
    /// `v_head.summary.*` (a TRL checkpoint), else freshly initialised from `seed`.
    public static func loadPolicy(folder: URL, seed: UInt64 = 0) throws -> CausalLMWithValueHead<GPTForCausalLM> {
        let (configuration, tensors, source) = try files(folder)
        return try CausalLMWithValueHead(
            model: GPTForCausalLM(configuration: configuration, tensors: tensors, source: source),
            hiddenSize: configuration.hiddenSize, tensors: tensors, source: source,
            dropoutProbability: configuration.summaryDropoutProbability, seed: seed)
    }

    /// The configuration and weights of a folder.
    static func files(_ folder: URL) throws -> (Configuration, [String: Tensor], String) {
        let configuration = try Configuration.load(from: folder.appendingPathComponent("config.json"))
        let (tensors, source) = try ModelFolder(folder).weights()
        return (configuration, tensors, source)
    }
}

extension GPTForCausalLM: CausalTransformer {
    public var vocabularySize: Int { configuration.vocabularySize }
    public var layerCount: Int { configuration.layerCount }
    public var keyValueWidth: Int { configuration.hiddenSize }
    /// `pad_token_id` when the configuration sets one, else EOS (neither family has a pad token).
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

/// GPT-2 with its language-model head.
public typealias GPT2LMHeadModel = GPTForCausalLM<GPT2Configuration>
