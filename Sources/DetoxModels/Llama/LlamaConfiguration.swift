// Port of transformers src/transformers/models/llama/configuration_llama.py (v4.46.3)
import DetoxNN
import Foundation

/// The hyperparameters of a Llama model, decoded from a Hugging Face `config.json`.
///
/// Every field missing from the file takes `LlamaConfig`'s default (Llama 2 7B's shape):
/// `num_key_value_heads` falls back to `num_attention_heads`, `head_dim` to
/// `hidden_size / num_attention_heads`. Only the `silu` activation is implemented; any other
/// `hidden_act`, an unsupported `rope_scaling` or a bad size throws
/// ``ModelError/invalidConfiguration(file:key:reason:)`` from ``settings(file:)``. The fields Qwen2
/// shares are decoded and checked by one implementation (`LlamaLikeConfiguration`).
public struct LlamaConfiguration: Codable, Sendable, Equatable {
    public var modelType: String?
    public var vocabularySize: Int = 32000
    public var hiddenSize: Int = 4096
    public var intermediateSize: Int = 11008
    public var layerCount: Int = 32
    public var headCount: Int = 32
    /// `nil` means ``headCount`` (no grouping).
    public var keyValueHeadCount: Int?
    /// `nil` means `hiddenSize / headCount`.
    public var headDimension: Int?
    public var hiddenActivation: String = "silu"
    public var maxPositionEmbeddings: Int = 2048
    public var initializerRange: Float = 0.02
    public var rmsNormEpsilon: Float = 1e-6
    public var ropeTheta: Double = 10000
    public var ropeScaling: LlamaRopeScaling?
    /// Only 1 (rotate every value of a head) is supported, as in `LlamaAttention`.
    public var partialRotaryFactor: Double?
    public var attentionBias: Bool = false
    public var attentionDropout: Float = 0
    public var mlpBias: Bool = false
    public var tieWordEmbeddings: Bool = false
    public var bosTokenID: Int? = 1
    public var eosTokenID: Int? = 2
    public var padTokenID: Int?
    /// TRL's value-head dropout (`summary_dropout_prob`), when the config carries one.
    public var summaryDropoutProbability: Float?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case vocabularySize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers"
        case headCount = "num_attention_heads"
        case keyValueHeadCount = "num_key_value_heads"
        case headDimension = "head_dim"
        case hiddenActivation = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings"
        case initializerRange = "initializer_range"
        case rmsNormEpsilon = "rms_norm_eps"
        case ropeTheta = "rope_theta"
        case ropeScaling = "rope_scaling"
        case partialRotaryFactor = "partial_rotary_factor"
        case attentionBias = "attention_bias"
        case attentionDropout = "attention_dropout"
        case mlpBias = "mlp_bias"
        case tieWordEmbeddings = "tie_word_embeddings"
        case bosTokenID = "bos_token_id"
        case eosTokenID = "eos_token_id"
        case padTokenID = "pad_token_id"
        case summaryDropoutProbability = "summary_dropout_prob"
    }

    /// A configuration with `LlamaConfig`'s defaults.
    public init() { modelType = "llama" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try decodeSharedFields(c)
        headDimension = try c.decodeIfPresent(Int.self, forKey: .headDimension)
        partialRotaryFactor = try c.decodeIfPresent(Double.self, forKey: .partialRotaryFactor)
        attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? attentionBias
        mlpBias = try c.decodeIfPresent(Bool.self, forKey: .mlpBias) ?? mlpBias
    }

    /// The layer settings, after checking every value; names the first bad key.
    public func settings(file: String = "config.json") throws -> LlamaSettings {
        guard headCount > 0 else {
            throw ModelError.invalidConfiguration(
                file: file, key: "num_attention_heads", reason: "must be positive, got \(headCount)")
        }
        return try sharedSettings(
            headDimension: headDimension ?? hiddenSize / headCount, partialRotaryFactor: partialRotaryFactor,
            queryKeyValueBias: attentionBias, outputBias: attentionBias, mlpBias: mlpBias, file: file)
    }

    /// The model types this configuration accepts in `config.json`.
    public static let supportedModelTypes = ["llama"]

    /// Reads a `config.json` and checks it.
    ///
    /// Throws ``ModelError/missingFile(folder:name:)`` when the file is absent,
    /// ``ModelError/unsupportedModelType(file:modelType:supported:)`` for another `model_type`, and
    /// ``ModelError/invalidConfiguration(file:key:reason:)`` for bad values or malformed JSON.
    public static func load(from url: URL) throws -> LlamaConfiguration { try loadFile(from: url) }
}

extension LlamaConfiguration: LlamaLikeConfiguration {
    typealias Keys = CodingKeys
}

extension LlamaConfiguration.CodingKeys: LlamaConfigurationKeys {}
