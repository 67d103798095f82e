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
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType)
        vocabularySize = try c.decodeIfPresent(Int.self, forKey: .vocabularySize) ?? vocabularySize
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? intermediateSize
        layerCount = try c.decodeIfPresent(Int.self, forKey: .layerCount) ?? layerCount
        headCount = try c.decodeIfPresent(Int.self, forKey: .headCount) ?? headCount
        // `Qwen2Config` keeps 32 when the key is absent and falls back to the head count for `null`.
        keyValueHeadCount =
            c.contains(.keyValueHeadCount)
            ? try c.decodeIfPresent(Int.self, forKey: .keyValueHeadCount) : keyValueHeadCount
        hiddenActivation = try c.decodeIfPresent(String.self, forKey: .hiddenActivation) ?? hiddenActivation
        maxPositionEmbeddings =
            try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? maxPositionEmbeddings
        initializerRange = try c.decodeIfPresent(Float.self, forKey: .initializerRange) ?? initializerRange
        rmsNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .rmsNormEpsilon) ?? rmsNormEpsilon
        ropeTheta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? ropeTheta
        ropeScaling = try c.decodeIfPresent(LlamaRopeScaling.self, forKey: .ropeScaling)
        useSlidingWindow = try c.decodeIfPresent(Bool.self, forKey: .useSlidingWindow) ?? useSlidingWindow
        attentionDropout = try c.decodeIfPresent(Float.self, forKey: .attentionDropout) ?? attentionDropout
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? tieWordEmbeddings
        bosTokenID = try LlamaConfigurationFile.tokenID(c, .bosTokenID, default: nil)
        eosTokenID = try LlamaConfigurationFile.tokenID(c, .eosTokenID, default: nil)
        padTokenID = try LlamaConfigurationFile.tokenID(c, .padTokenID, default: nil)
        summaryDropoutProbability = try c.decodeIfPresent(Float.self, forKey: .summaryDropoutProbability)
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
        return try LlamaConfigurationFile.settings(
            LlamaConfigurationFile.Values(
                modelType: modelType ?? "qwen2", vocabularySize: vocabularySize, hiddenSize: hiddenSize,
                intermediateSize: intermediateSize, layerCount: layerCount, headCount: headCount,
                keyValueHeadCount: keyValueHeadCount ?? headCount, headDimension: hiddenSize / headCount,
                hiddenActivation: hiddenActivation, maxPositionEmbeddings: maxPositionEmbeddings,
                initializerRange: initializerRange, rmsNormEpsilon: rmsNormEpsilon, ropeTheta: ropeTheta,
                ropeScaling: ropeScaling, partialRotaryFactor: nil, queryKeyValueBias: true, outputBias: false,
                mlpBias: false, attentionDropout: attentionDropout, tieWordEmbeddings: tieWordEmbeddings,
                bosTokenID: bosTokenID, eosTokenID: eosTokenID, padTokenID: padTokenID,
                summaryDropoutProbability: summaryDropoutProbability),
            file: file)
    }

    /// The model types this configuration accepts in `config.json`.
    public static let supportedModelTypes = ["qwen2"]

    /// Reads a `config.json` and checks it (the errors of ``LlamaConfiguration/load(from:)``).
    public static func load(from url: URL) throws -> Qwen2Configuration {
        let configuration = try CausalConfigurationDecoding.decode(Qwen2Configuration.self, from: url)
        if let type = configuration.modelType, !supportedModelTypes.contains(type) {
            throw ModelError.unsupportedModelType(file: url.path, modelType: type, supported: supportedModelTypes)
        }
        _ = try configuration.settings(file: url.path)
        return configuration
    }
}
