// Port of transformers src/transformers/models/qwen2/configuration_qwen2.py (v4.46.3)
import DetoxNN
import Foundation

/// The hyperparameters of a Qwen2 model, decoded from a Hugging Face `config.json`.
///
/// Qwen2 is Llama with a bias on the query, key and value projections (none on `o_proj` or the
/// feed-forward), `head_dim = hidden_size / num_attention_heads`, and its own defaults (Qwen2 7B's
/// shape, `rms_norm_eps` 1e-6, no special token ids). It maps onto ``LlamaSettings`` and runs on
/// the Llama layers (``LlamaForCausalLM``). The sliding window (`use_sliding_window`) is not
/// implemented and is rejected with ``ModelError/invalidConfiguration(file:key:reason:)``.
public struct Qwen2Configuration: Codable, Sendable, Equatable {
    public var modelType: String?
    public var vocabularySize: Int = 151_936
    public var hiddenSize: Int = 4096
    public var intermediateSize: Int = 22016
    public var layerCount: Int = 32
    public var headCount: Int = 32
    /// `nil` means ``headCount``.
    public var keyValueHeadCount: Int? = 32
    public var hiddenActivation: String = "silu"
    public var maxPositionEmbeddings: Int = 32768
    public var initializerRange: Float = 0.02
    public var rmsNormEpsilon: Float = 1e-6
    public var ropeTheta: Double = 10000
    public var ropeScaling: LlamaRopeScaling?
    public var useSlidingWindow: Bool = false
    public var attentionDropout: Float = 0
    public var tieWordEmbeddings: Bool = false
    public var bosTokenID: Int?
    public var eosTokenID: Int?
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
        case hiddenActivation = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings"
        case initializerRange = "initializer_range"
        case rmsNormEpsilon = "rms_norm_eps"
        case ropeTheta = "rope_theta"
        case ropeScaling = "rope_scaling"
        case useSlidingWindow = "use_sliding_window"
        case attentionDropout = "attention_dropout"
        case tieWordEmbeddings = "tie_word_embeddings"
        case bosTokenID = "bos_token_id"
        case eosTokenID = "eos_token_id"
        case padTokenID = "pad_token_id"
        case summaryDropoutProbability = "summary_dropout_prob"
    }

    /// A configuration with `Qwen2Config`'s defaults.
    public init() { modelType = "qwen2" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // `Qwen2Config` keeps 32 key/value heads when the key is absent and falls back to the head
        // count for `null` (the shared decoding's rule).
        try decodeSharedFields(c)
        useSlidingWindow = try c.decodeIfPresent(Bool.self, forKey: .useSlidingWindow) ?? useSlidingWindow
    }

    /// The Llama layer settings (biased `q_proj`/`k_proj`/`v_proj`), after checking every value;
    /// names the first bad key.
    public func settings(file: String = "config.json") throws -> LlamaSettings {
        guard headCount > 0 else {
            throw ModelError.invalidConfiguration(
                file: file, key: "num_attention_heads", reason: "must be positive, got \(headCount)")
        }
        guard hiddenSize % headCount == 0 else {
            throw ModelError.invalidConfiguration(
                file: file, key: "hidden_size",
                reason: "\(hiddenSize) is not divisible by num_attention_heads \(headCount)")
        }
        guard !useSlidingWindow else {
            throw ModelError.invalidConfiguration(
                file: file, key: "use_sliding_window", reason: "sliding-window attention is not supported")
        }
        return try sharedSettings(
            headDimension: hiddenSize / headCount, partialRotaryFactor: nil, queryKeyValueBias: true,
            outputBias: false, mlpBias: false, file: file)
    }

    /// The model types this configuration accepts in `config.json`.
    public static let supportedModelTypes = ["qwen2"]

    /// Reads a `config.json` and checks it (the errors of ``LlamaConfiguration/load(from:)``).
    public static func load(from url: URL) throws -> Qwen2Configuration { try loadFile(from: url) }
}

extension Qwen2Configuration: LlamaLikeConfiguration {
    typealias Keys = CodingKeys
}

extension Qwen2Configuration.CodingKeys: LlamaConfigurationKeys {}
