// Port of transformers src/transformers/models/gpt_neo/configuration_gpt_neo.py (v4.46.3)
import DetoxNN
import Foundation

/// The hyperparameters of a GPT-Neo model, decoded from a Hugging Face `config.json`.
///
/// Every field missing from the file takes `GPTNeoConfig`'s default; `attention_types` (groups of
/// `[[kinds], repeats]`) expands to one kind per layer, ``attentionLayers``, which must count
/// `num_layers`. `intermediate_size` falls back to `4 · hidden_size`. GPT-Neo has no pad id, so
/// padding uses EOS. Invalid values throw ``ModelError/invalidConfiguration(file:key:reason:)``.
public struct GPTNeoConfiguration: Codable, Sendable, Equatable {
    /// Whether a layer attends over every earlier position or only the last `window_size`.
    public enum AttentionKind: String, Codable, Sendable {
        case global, local
    }

    /// One entry of `attention_types`: `kinds` repeated `repeats` times.
    public struct AttentionGroup: Codable, Sendable, Equatable {
        public var kinds: [AttentionKind]
        public var repeats: Int

        public init(kinds: [AttentionKind], repeats: Int) {
            self.kinds = kinds
            self.repeats = repeats
        }

        public init(from decoder: Decoder) throws {
            var c = try decoder.unkeyedContainer()
            kinds = try c.decode([AttentionKind].self)
            repeats = try c.decode(Int.self)
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.unkeyedContainer()
            try c.encode(kinds)
            try c.encode(repeats)
        }
    }

    public var modelType: String? = "gpt_neo"
    public var vocabularySize: Int = 50257
    public var maxPositionEmbeddings: Int = 2048
    public var hiddenSize: Int = 2048
    public var layerCount: Int = 24
    public var attentionTypes: [AttentionGroup] = [AttentionGroup(kinds: [.global, .local], repeats: 12)]
    public var headCount: Int = 16
    /// `intermediate_size`; `nil` means `4 · hidden_size`.
    public var intermediateSize: Int?
    public var windowSize: Int = 256
    public var activationFunction: String = "gelu_new"
    public var residualDropout: Float = 0
    public var embeddingDropout: Float = 0
    public var attentionDropout: Float = 0
    public var layerNormEpsilon: Float = 1e-5
    public var initializerRange: Float = 0.02
    public var tieWordEmbeddings: Bool = true
    public var bosTokenID: Int = 50256
    public var eosTokenID: Int = 50256
    /// `pad_token_id` when the file sets one; EOS pads otherwise.
    public var padTokenID: Int?
    /// TRL's value-head dropout (`summary_dropout_prob`), when the config carries one.
    public var summaryDropoutProbability: Float?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case vocabularySize = "vocab_size"
        case maxPositionEmbeddings = "max_position_embeddings"
        case hiddenSize = "hidden_size"
        case layerCount = "num_layers"
        case attentionTypes = "attention_types"
        case headCount = "num_heads"
        case intermediateSize = "intermediate_size"
        case windowSize = "window_size"
        case activationFunction = "activation_function"
        case residualDropout = "resid_dropout"
        case embeddingDropout = "embed_dropout"
        case attentionDropout = "attention_dropout"
        case layerNormEpsilon = "layer_norm_epsilon"
        case initializerRange = "initializer_range"
        case tieWordEmbeddings = "tie_word_embeddings"
        case bosTokenID = "bos_token_id"
        case eosTokenID = "eos_token_id"
        case padTokenID = "pad_token_id"
        case summaryDropoutProbability = "summary_dropout_prob"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType)
        vocabularySize = try c.decodeIfPresent(Int.self, forKey: .vocabularySize) ?? vocabularySize
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? maxPositionEmbeddings
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
        layerCount = try c.decodeIfPresent(Int.self, forKey: .layerCount) ?? layerCount
        attentionTypes = try c.decodeIfPresent([AttentionGroup].self, forKey: .attentionTypes) ?? attentionTypes
        headCount = try c.decodeIfPresent(Int.self, forKey: .headCount) ?? headCount
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize)
        windowSize = try c.decodeIfPresent(Int.self, forKey: .windowSize) ?? windowSize
        activationFunction = try c.decodeIfPresent(String.self, forKey: .activationFunction) ?? activationFunction
        residualDropout = try c.decodeIfPresent(Float.self, forKey: .residualDropout) ?? residualDropout
        embeddingDropout = try c.decodeIfPresent(Float.self, forKey: .embeddingDropout) ?? embeddingDropout
        attentionDropout = try c.decodeIfPresent(Float.self, forKey: .attentionDropout) ?? attentionDropout
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? layerNormEpsilon
        initializerRange = try c.decodeIfPresent(Float.self, forKey: .initializerRange) ?? initializerRange
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? true
        bosTokenID = try CausalConfigurationDecoding.tokenID(c, .bosTokenID) ?? bosTokenID
        eosTokenID = try CausalConfigurationDecoding.tokenID(c, .eosTokenID) ?? eosTokenID
        padTokenID = try CausalConfigurationDecoding.tokenID(c, .padTokenID)
        summaryDropoutProbability = try c.decodeIfPresent(Float.self, forKey: .summaryDropoutProbability)
    }

    /// `attention_types` expanded to one kind per layer, as `GPTNeoConfig.expand_attention_types_params`.
    public var attentionLayers: [AttentionKind] {
        attentionTypes.flatMap { group in (0..<Swift.max(0, group.repeats)).flatMap { _ in group.kinds } }
    }

    /// The feed-forward width, `intermediate_size` or `4 · hidden_size`.
    public var feedForwardSize: Int { intermediateSize ?? 4 * hiddenSize }

    /// The width of one attention head.
    public var headDimension: Int { hiddenSize / Swift.max(headCount, 1) }

    /// The feed-forward activation, parsed from ``activationFunction``.
    public func activation(file: String = "config.json") throws -> Activation {
        do {
            return try Activation(name: activationFunction)
        } catch {
            throw ModelError.invalidConfiguration(
                file: file, key: "activation_function", reason: "unknown activation \"\(activationFunction)\"")
        }
    }

    /// Checks every size and id for a usable model; names the first bad key.
    public func validate(file: String = "config.json") throws {
        let check = CausalConfigurationDecoding.Checker(file: file)
        try check.positive(vocabularySize, "vocab_size")
        try check.positive(maxPositionEmbeddings, "max_position_embeddings")
        try check.positive(hiddenSize, "hidden_size")
        try check.positive(layerCount, "num_layers")
        try check.positive(headCount, "num_heads")
        try check.positive(windowSize, "window_size")
        if let intermediateSize { try check.positive(intermediateSize, "intermediate_size") }
        guard hiddenSize % headCount == 0 else {
            throw ModelError.invalidConfiguration(
                file: file, key: "num_heads",
                reason: "hidden_size \(hiddenSize) is not a multiple of \(headCount) heads")
        }
        // Checked before expanding, so a huge repeat count allocates nothing.
        let layers = attentionTypes.reduce(0) { $0 + $1.kinds.count * Swift.max(0, Swift.min($1.repeats, 1 << 20)) }
        guard layers == layerCount, attentionTypes.allSatisfy({ $0.repeats >= 0 }) else {
            throw ModelError.invalidConfiguration(
                file: file, key: "attention_types",
                reason: "expands to \(layers) layers, num_layers is \(layerCount)")
        }
        try check.probability(residualDropout, "resid_dropout")
        try check.probability(embeddingDropout, "embed_dropout")
        try check.probability(attentionDropout, "attention_dropout")
        if let p = summaryDropoutProbability { try check.probability(p, "summary_dropout_prob") }
        try check.epsilon(layerNormEpsilon, "layer_norm_epsilon")
        try check.tokenID(bosTokenID, "bos_token_id", vocabularySize: vocabularySize)
        try check.tokenID(eosTokenID, "eos_token_id", vocabularySize: vocabularySize)
        if let padTokenID { try check.tokenID(padTokenID, "pad_token_id", vocabularySize: vocabularySize) }
        _ = try activation(file: file)
    }

    /// Reads and validates a `config.json` (`model_type` must be `gpt_neo` when present).
    public static func load(from url: URL) throws -> GPTNeoConfiguration {
        let configuration = try CausalConfigurationDecoding.decode(GPTNeoConfiguration.self, from: url)
        if let type = configuration.modelType, type != "gpt_neo" {
            throw ModelError.unsupportedModelType(file: url.path, modelType: type, supported: ["gpt_neo"])
        }
        try configuration.validate(file: url.path)
        return configuration
    }
}
