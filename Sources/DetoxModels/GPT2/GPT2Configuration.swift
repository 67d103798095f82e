// Port of transformers src/transformers/models/gpt2/configuration_gpt2.py (v4.46.3)
import DetoxNN
import Foundation

/// The hyperparameters of a GPT-2 model, decoded from a Hugging Face `config.json`.
///
/// Every field missing from the file takes `GPT2Config`'s default (gpt2's shape): `n_inner`
/// falls back to `4 · n_embd`, `tie_word_embeddings` to true, `bos_token_id` and `eos_token_id`
/// to 50256; GPT-2 has no pad id, so padding uses EOS. Invalid or unsupported values
/// (cross-attention, an unknown activation) throw ``ModelError/invalidConfiguration(file:key:reason:)``
/// from ``validate(file:)``.
public struct GPT2Configuration: Codable, Sendable, Equatable {
    public var modelType: String? = "gpt2"
    public var vocabularySize: Int = 50257
    /// `n_positions`, the length of the learned position table.
    public var positionCount: Int = 1024
    /// `n_embd`.
    public var hiddenSize: Int = 768
    /// `n_layer`.
    public var layerCount: Int = 12
    /// `n_head`.
    public var headCount: Int = 12
    /// `n_inner`; `nil` means `4 · n_embd`.
    public var innerSize: Int?
    /// `activation_function`.
    public var activationFunction: String = "gelu_new"
    public var residualDropout: Float = 0.1
    public var embeddingDropout: Float = 0.1
    public var attentionDropout: Float = 0.1
    public var layerNormEpsilon: Float = 1e-5
    public var initializerRange: Float = 0.02
    /// Divide the scores by `√head_dim`.
    public var scaleAttentionWeights: Bool = true
    /// Also divide the scores by `layer_idx + 1`.
    public var scaleAttentionByInverseLayerIndex: Bool = false
    /// Upcast the scores to f32 before scaling (the same arithmetic here: everything is f32).
    public var reorderAndUpcastAttention: Bool = false
    /// Cross-attention layers (an encoder–decoder GPT-2); not supported.
    public var addCrossAttention: Bool = false
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
        case positionCount = "n_positions"
        case hiddenSize = "n_embd"
        case layerCount = "n_layer"
        case headCount = "n_head"
        case innerSize = "n_inner"
        case activationFunction = "activation_function"
        case residualDropout = "resid_pdrop"
        case embeddingDropout = "embd_pdrop"
        case attentionDropout = "attn_pdrop"
        case layerNormEpsilon = "layer_norm_epsilon"
        case initializerRange = "initializer_range"
        case scaleAttentionWeights = "scale_attn_weights"
        case scaleAttentionByInverseLayerIndex = "scale_attn_by_inverse_layer_idx"
        case reorderAndUpcastAttention = "reorder_and_upcast_attn"
        case addCrossAttention = "add_cross_attention"
        case tieWordEmbeddings = "tie_word_embeddings"
        case bosTokenID = "bos_token_id"
        case eosTokenID = "eos_token_id"
        case padTokenID = "pad_token_id"
        case summaryDropoutProbability = "summary_dropout_prob"
    }

    /// A configuration with transformers' defaults, changed where given.
    public init(
        vocabularySize: Int = 50257, positionCount: Int = 1024, hiddenSize: Int = 768, layerCount: Int = 12,
        headCount: Int = 12, innerSize: Int? = nil, activationFunction: String = "gelu_new",
        tieWordEmbeddings: Bool = true, bosTokenID: Int = 50256, eosTokenID: Int = 50256
    ) throws {
        self.vocabularySize = vocabularySize
        self.positionCount = positionCount
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.innerSize = innerSize
        self.activationFunction = activationFunction
        self.tieWordEmbeddings = tieWordEmbeddings
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        try validate(file: "GPT2Configuration")
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType)
        vocabularySize = try c.decodeIfPresent(Int.self, forKey: .vocabularySize) ?? vocabularySize
        positionCount = try c.decodeIfPresent(Int.self, forKey: .positionCount) ?? positionCount
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
        layerCount = try c.decodeIfPresent(Int.self, forKey: .layerCount) ?? layerCount
        headCount = try c.decodeIfPresent(Int.self, forKey: .headCount) ?? headCount
        innerSize = try c.decodeIfPresent(Int.self, forKey: .innerSize)
        activationFunction = try c.decodeIfPresent(String.self, forKey: .activationFunction) ?? activationFunction
        residualDropout = try c.decodeIfPresent(Float.self, forKey: .residualDropout) ?? residualDropout
        embeddingDropout = try c.decodeIfPresent(Float.self, forKey: .embeddingDropout) ?? embeddingDropout
        attentionDropout = try c.decodeIfPresent(Float.self, forKey: .attentionDropout) ?? attentionDropout
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? layerNormEpsilon
        initializerRange = try c.decodeIfPresent(Float.self, forKey: .initializerRange) ?? initializerRange
        scaleAttentionWeights = try c.decodeIfPresent(Bool.self, forKey: .scaleAttentionWeights) ?? true
        scaleAttentionByInverseLayerIndex =
            try c.decodeIfPresent(Bool.self, forKey: .scaleAttentionByInverseLayerIndex) ?? false
        reorderAndUpcastAttention = try c.decodeIfPresent(Bool.self, forKey: .reorderAndUpcastAttention) ?? false
        addCrossAttention = try c.decodeIfPresent(Bool.self, forKey: .addCrossAttention) ?? false
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? true
        bosTokenID = try CausalConfigurationDecoding.tokenID(c, .bosTokenID) ?? bosTokenID
        eosTokenID = try CausalConfigurationDecoding.tokenID(c, .eosTokenID) ?? eosTokenID
        padTokenID = try CausalConfigurationDecoding.tokenID(c, .padTokenID)
        summaryDropoutProbability = try c.decodeIfPresent(Float.self, forKey: .summaryDropoutProbability)
    }

    /// The feed-forward width, `n_inner` or `4 · n_embd`.
    public var feedForwardSize: Int { innerSize ?? 4 * hiddenSize }

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
        try check.positive(positionCount, "n_positions")
        try check.positive(hiddenSize, "n_embd")
        try check.positive(layerCount, "n_layer")
        try check.positive(headCount, "n_head")
        if let innerSize { try check.positive(innerSize, "n_inner") }
        guard hiddenSize % headCount == 0 else {
            throw ModelError.invalidConfiguration(
                file: file, key: "n_head", reason: "n_embd \(hiddenSize) is not a multiple of \(headCount) heads")
        }
        try check.probability(residualDropout, "resid_pdrop")
        try check.probability(embeddingDropout, "embd_pdrop")
        try check.probability(attentionDropout, "attn_pdrop")
        if let p = summaryDropoutProbability { try check.probability(p, "summary_dropout_prob") }
        try check.epsilon(layerNormEpsilon, "layer_norm_epsilon")
        guard !addCrossAttention else {
            throw ModelError.invalidConfiguration(
                file: file, key: "add_cross_attention", reason: "cross-attention GPT-2 models are not supported")
        }
        try check.tokenID(bosTokenID, "bos_token_id", vocabularySize: vocabularySize)
        try check.tokenID(eosTokenID, "eos_token_id", vocabularySize: vocabularySize)
        if let padTokenID { try check.tokenID(padTokenID, "pad_token_id", vocabularySize: vocabularySize) }
        _ = try activation(file: file)
    }

    /// Reads and validates a `config.json` (`model_type` must be `gpt2` when present).
    ///
    /// Throws ``ModelError/missingFile(folder:name:)`` when the file is absent,
    /// ``ModelError/unsupportedModelType(file:modelType:supported:)`` for another `model_type`, and
    /// ``ModelError/invalidConfiguration(file:key:reason:)`` for bad values or malformed JSON.
    public static func load(from url: URL) throws -> GPT2Configuration {
        let configuration = try CausalConfigurationDecoding.decode(GPT2Configuration.self, from: url)
        if let type = configuration.modelType, type != "gpt2" {
            throw ModelError.unsupportedModelType(file: url.path, modelType: type, supported: ["gpt2"])
        }
        try configuration.validate(file: url.path)
        return configuration
    }
}
