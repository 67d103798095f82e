// Port of transformers src/transformers/models/gpt2/configuration_gpt2.py (v4.46.3)
import DetoxNN
import Foundation

/// The hyperparameters of a GPT-2 model, decoded from a Hugging Face `config.json`.
///
/// Every field missing from the file takes `GPT2Config`'s default (gpt2's shape): `n_inner`
/// falls back to `4 · n_embd`, `tie_word_embeddings` to true, `bos_token_id` and `eos_token_id`
/// to 50256; GPT-2 has no pad id, so padding uses EOS. Invalid or unsupported values
/// (cross-attention, an unknown activation) throw ``ModelError/invalidConfiguration(file:key:reason:)``
/// from ``validate(file:)``. The fields GPT-Neo shares are decoded and checked by
/// ``GPTFamilyConfiguration``'s implementation.
public struct GPT2Configuration: GPTFamilyConfiguration {
    public typealias Attention = GPT2Attention

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
        try decodeSharedFields(c)
        positionCount = try c.decodeIfPresent(Int.self, forKey: .positionCount) ?? positionCount
        innerSize = try c.decodeIfPresent(Int.self, forKey: .innerSize)
        scaleAttentionWeights = try c.decodeIfPresent(Bool.self, forKey: .scaleAttentionWeights) ?? true
        scaleAttentionByInverseLayerIndex =
            try c.decodeIfPresent(Bool.self, forKey: .scaleAttentionByInverseLayerIndex) ?? false
        reorderAndUpcastAttention = try c.decodeIfPresent(Bool.self, forKey: .reorderAndUpcastAttention) ?? false
        addCrossAttention = try c.decodeIfPresent(Bool.self, forKey: .addCrossAttention) ?? false
    }

    public static let family = "gpt2"
    public static let feedForwardIsConv1D = true

    /// The feed-forward width, `n_inner` or `4 · n_embd`.
    public var feedForwardSize: Int { innerSize ?? 4 * hiddenSize }

    /// `initializer_range / √(2 · n_layer)`: `_init_weights` scales every `c_proj` so.
    public var residualProjectionStd: Float { initializerRange / Float(2 * layerCount).squareRoot() }

    /// Checks every size and id for a usable model; names the first bad key.
    public func validate(file: String = "config.json") throws {
        try validateSharedFields(file: file) { check in
            try check.positive(positionCount, "n_positions")
            if let innerSize { try check.positive(innerSize, "n_inner") }
            guard !addCrossAttention else {
                throw ModelError.invalidConfiguration(
                    file: file, key: "add_cross_attention", reason: "cross-attention GPT-2 models are not supported")
            }
        }
    }

    /// Reads and validates a `config.json` (`model_type` must be `gpt2` when present).
    ///
    /// Throws ``ModelError/missingFile(folder:name:)`` when the file is absent,
    /// ``ModelError/unsupportedModelType(file:modelType:supported:)`` for another `model_type`, and
    /// ``ModelError/invalidConfiguration(file:key:reason:)`` for bad values or malformed JSON.
    public static func load(from url: URL) throws -> GPT2Configuration { try loadFile(from: url) }
}

extension GPT2Configuration: GPTConfigurationFile {
    typealias Keys = CodingKeys
}

extension GPT2Configuration.CodingKeys: GPTConfigurationKeys {}
