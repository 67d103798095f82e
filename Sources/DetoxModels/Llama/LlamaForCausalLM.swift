// Port of transformers src/transformers/models/llama/modeling_llama.py (v4.46.3), `LlamaForCausalLM`
// (and `Qwen2ForCausalLM` of models/qwen2/modeling_qwen2.py, the same model with biased q/k/v)
import DetoxNN
import DetoxTensor
import Foundation

/// A Llama or Qwen2 decoder with a language-model head.
///
/// Parameters carry their Hugging Face checkpoint names (`model.embed_tokens.weight`,
/// `model.layers.0.self_attn.q_proj.weight`, ..., `model.norm.weight`, `lm_head.weight` when
/// untied), so ``stateDict()`` is what `save_pretrained` writes. A tied model has no `lm_head`: its
/// logits come from `model.embed_tokens.weight`. Qwen2 (``Qwen2Configuration``) runs on the same
/// layers with its biases. The projections are linear slots (`model.layers.0.self_attn.q_proj`,
/// `model.layers.1.mlp.down_proj`, ...) for LoRA or 4-bit layers.
public final class LlamaForCausalLM: SlottedModule {
    public let settings: LlamaSettings
    public let model: LlamaModel
    /// The output projection `[vocab, hidden]`; `nil` when tied to `model.embed_tokens`.
    public var lmHead: (any LinearLayer)?

    static let model = ModuleSlot.child("model", \LlamaForCausalLM.model)
    static let lmHead = ModuleSlot.linear("lm_head", \LlamaForCausalLM.lmHead)
    public static let slots = [model, lmHead]

    /// A randomly initialised model (transformers' `_init_weights`: every linear and embedding
    /// weight ~ N(0, initializer_range²), biases zero, the padding row zero, norms one), seeded.
    public convenience init(settings: LlamaSettings, seed: UInt64 = 0) throws {
        try self.init(
            settings: settings,
            weights: WeightBuilder(generator: SeededGenerator(seed: seed), dropoutSeeds: .model(seed: seed)))
    }

    /// A randomly initialised Llama model.
    public convenience init(llama configuration: LlamaConfiguration, seed: UInt64 = 0) throws {
        try self.init(settings: configuration.settings(file: "LlamaConfiguration"), seed: seed)
    }

    /// A model built from checkpoint tensors named as in Hugging Face files; keys the model does
    /// not use (`lm_head.weight` of a tied model, rotary buffers of old checkpoints) are ignored.
    /// - Throws: ``ModelError/missingTensor(source:key:)`` or
    ///   ``ModelError/shapeMismatch(source:key:expected:actual:)`` naming the first bad weight.
    public convenience init(settings: LlamaSettings, tensors: [String: Tensor], source: String = "checkpoint") throws {
        try self.init(
            settings: settings,
            weights: WeightBuilder(checkpoint: tensors, source: source, dropoutSeeds: .model(seed: 0)))
    }

    init(settings s: LlamaSettings, weights: WeightBuilder) throws {
        settings = s
        (model, lmHead) = try ModelError.building {
            let model = try LlamaModel(settings: s, weights: weights.scoped(Self.model))
            let lmHead = try weights.languageModelHead(
                Self.lmHead, tied: s.tieWordEmbeddings, hiddenSize: s.hiddenSize, vocabularySize: s.vocabularySize,
                std: s.initializerRange)
            return (model, lmHead)
        }
    }

    /// The model types ``load(folder:)`` reads.
    public static let supportedModelTypes =
        LlamaConfiguration.supportedModelTypes + Qwen2Configuration.supportedModelTypes

    /// Loads a Hugging Face Llama or Qwen2 model folder (`config.json` and the weights, read by
    /// ``ModelFolder/weights()``: safetensors, `.bin`, sharded, f16/bf16 widened to f32).
    ///
    /// - Throws: ``ModelError/missingFile(folder:name:)``,
    ///   ``ModelError/unsupportedModelType(file:modelType:supported:)``,
    ///   ``ModelError/invalidConfiguration(file:key:reason:)``, ``ModelError/missingTensor(source:key:)``
    ///   or ``ModelError/shapeMismatch(source:key:expected:actual:)``, each naming the file and key.
    /// `family` (`"llama"` or `"qwen2"`) is read when `config.json` names no `model_type` (the
    /// loader passes the family of its `architectures`); Llama by default.
    public static func load(folder: URL, family: String? = nil) throws -> LlamaForCausalLM {
        let settings = try Self.settings(configuration: folder.appendingPathComponent("config.json"), family: family)
        let (tensors, source) = try ModelFolder(folder).weights()
        return try LlamaForCausalLM(settings: settings, tensors: tensors, source: source)
    }

    /// The layer settings of a Llama or Qwen2 `config.json`, chosen by its `model_type` (else by
    /// `family`, else Llama).
    public static func settings(configuration url: URL, family: String? = nil) throws -> LlamaSettings {
        struct ModelType: Decodable {
            let modelType: String?
            enum CodingKeys: String, CodingKey { case modelType = "model_type" }
        }
        let type = try CausalConfigurationDecoding.decode(ModelType.self, from: url).modelType ?? family
        switch type {
        case "qwen2": return try Qwen2Configuration.load(from: url).settings(file: url.path)
        case "llama", nil: return try LlamaConfiguration.load(from: url).settings(file: url.path)
        case .some(let other):
            throw ModelError.unsupportedModelType(file: url.path, modelType: other, supported: supportedModelTypes)
        }
    }

    // MARK: - Forward

    /// Runs the model over a batch (left padding, as `generate` uses, or right padding) and, with
    /// `labels`, the loss.
    ///
    /// - Parameters:
    ///   - inputIDs: `[B][L]` token ids; `attentionMask` `[B][L]` of 0/1 (all ones when `nil`).
    ///   - positionIDs: `[B][L]` position ids; `0..<L` in every row when `nil`, as transformers.
    ///   - labels: `[B][L]` targets; position `t`'s logits are scored against label `t + 1`, and
    ///     `-100` is ignored.
    /// - Returns: logits `[B, L, vocab]`, the mean cross-entropy when labels are given, and the
    ///   final-normed hidden states `[B, L, hidden]`.
    public func callAsFunction(
        inputIDs: [[Int]], attentionMask: [[Int]]? = nil, positionIDs: [[Int]]? = nil, labels: [[Int]]? = nil
    ) throws -> LlamaOutput {
        let (ids, batch, length) = try T5Inputs.flatten(
            inputIDs, name: "inputIDs", vocabulary: settings.vocabularySize)
        let mask = try T5Inputs.mask(attentionMask, name: "attentionMask", batch: batch, length: length)
        let positions = try Self.positions(positionIDs, batch: batch, length: length)
        let hidden = try model(
            ids: ids, batch: batch, length: length, positions: positions,
            bias: T5Inputs.additiveCausalMask(mask, batch: batch, length: length), caches: nil,
            tokens: .all(batch: batch, length: length))
        let logits = logits(hidden: hidden)
        var loss: Tensor?
        if let labels { loss = try causalLoss(logits: logits, labels: labels) }
        return LlamaOutput(logits: logits, loss: loss, hiddenState: hidden)
    }

    /// Vocabulary logits `[..., vocab]` from final-normed hidden states `[..., hidden]`: through
    /// `lm_head`, or, when tied, `hidden · embed_tokensᵀ`.
    public func logits(hidden: Tensor) -> Tensor {
        if let lmHead { return lmHead(hidden) }
        return hidden.matmul(model.embedTokens.weight.tensor, transposeOther: true)
    }

    /// transformers' causal-LM loss: the logits at `t` against the label at `t + 1`, mean over the
    /// labels that are not `-100`.
    func causalLoss(logits: Tensor, labels: [[Int]]) throws -> Tensor {
        let (batch, length, vocabulary) = (logits.shape[0], logits.shape[1], logits.shape[2])
        let flat = try T5Inputs.flatten(
            labels, name: "labels", vocabulary: vocabulary, allowed: [Losses.ignoreIndex])
        guard flat.batch == batch, flat.length == length else {
            throw ModelError.invalidInput("labels are [\(flat.batch), \(flat.length)], the ids [\(batch), \(length)]")
        }
        let targets = (0..<batch).flatMap { b in flat.ids[(b * length + 1)..<((b + 1) * length)] }
        let shifted = logits.slice(axis: 1, 0..<(length - 1)).reshaped([-1, vocabulary])
        return try Losses.crossEntropy(shifted, targets: targets)
    }

    /// Row-major position ids of a `[batch, length]` batch (`0..<length` per row when `nil`).
    static func positions(_ rows: [[Int]]?, batch: Int, length: Int) throws -> [Int] {
        guard let rows else { return (0..<batch).flatMap { _ in 0..<length } }
        guard rows.count == batch, rows.allSatisfy({ $0.count == length }) else {
            throw ModelError.invalidInput("positionIDs must be [\(batch)][\(length)], as the ids")
        }
        guard rows.allSatisfy({ $0.allSatisfy { $0 >= 0 } }) else {
            throw ModelError.invalidInput("positionIDs must not be negative")
        }
        return rows.flatMap { $0 }
    }
}
