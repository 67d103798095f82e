// Port of transformers src/transformers/models/t5/configuration_t5.py (v4.46.3)
import DetoxNN
import Foundation

/// The hyperparameters of a T5 model, decoded from a Hugging Face `config.json`.
///
/// Every field missing from the file takes `T5Config`'s default (t5-small's shape):
/// `num_decoder_layers` falls back to `num_layers`, `feed_forward_proj` `"relu"` gives a plain
/// ReLU feed-forward and `"gated-gelu"` (T5 v1.1, flan-t5) a gated `gelu_new` one,
/// `tie_word_embeddings` defaults to true. Invalid values throw
/// ``ModelError/invalidConfiguration(file:key:reason:)`` from ``validate(file:)``.
public struct T5Configuration: Codable, Sendable, Equatable {
    public var modelType: String?
    public var vocabularySize: Int = 32128
    public var modelDimension: Int = 512
    public var keyValueDimension: Int = 64
    public var feedForwardDimension: Int = 2048
    public var encoderLayerCount: Int = 6
    public var decoderLayerCount: Int = 6
    public var headCount: Int = 8
    public var relativeAttentionBucketCount: Int = 32
    public var relativeAttentionMaxDistance: Int = 128
    public var dropoutRate: Float = 0.1
    public var layerNormEpsilon: Float = 1e-6
    public var initializerFactor: Float = 1.0
    /// `"relu"`, `"gated-gelu"` or `"[gated-]<activation>"`.
    public var feedForwardProjection: String = "relu"
    /// The feed-forward activation (`dense_act_fn`); `gated-gelu` maps to `gelu_new`.
    public var denseActivation: String = "relu"
    /// Whether the feed-forward is gated (`wo(act(wi_0 x) · wi_1 x)`).
    public var isGatedActivation: Bool = false
    /// Whether `lm_head` shares `shared.weight`; the decoder output is then scaled by `d_model^-0.5`.
    public var tieWordEmbeddings: Bool = true
    public var decoderStartTokenID: Int = 0
    public var eosTokenID: Int = 1
    public var padTokenID: Int = 0
    /// TRL's value-head dropout (`summary_dropout_prob`), when the config carries one.
    public var summaryDropoutProbability: Float?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case vocabularySize = "vocab_size"
        case modelDimension = "d_model"
        case keyValueDimension = "d_kv"
        case feedForwardDimension = "d_ff"
        case encoderLayerCount = "num_layers"
        case decoderLayerCount = "num_decoder_layers"
        case headCount = "num_heads"
        case relativeAttentionBucketCount = "relative_attention_num_buckets"
        case relativeAttentionMaxDistance = "relative_attention_max_distance"
        case dropoutRate = "dropout_rate"
        case layerNormEpsilon = "layer_norm_epsilon"
        case initializerFactor = "initializer_factor"
        case feedForwardProjection = "feed_forward_proj"
        case denseActivation = "dense_act_fn"
        case isGatedActivation = "is_gated_act"
        case tieWordEmbeddings = "tie_word_embeddings"
        case decoderStartTokenID = "decoder_start_token_id"
        case eosTokenID = "eos_token_id"
        case padTokenID = "pad_token_id"
        case summaryDropoutProbability = "summary_dropout_prob"
    }

    /// A configuration with transformers' defaults (t5-small), then `feed_forward_proj` applied.
    public init(
        vocabularySize: Int = 32128, modelDimension: Int = 512, keyValueDimension: Int = 64,
        feedForwardDimension: Int = 2048, encoderLayerCount: Int = 6, decoderLayerCount: Int? = nil,
        headCount: Int = 8, relativeAttentionBucketCount: Int = 32, relativeAttentionMaxDistance: Int = 128,
        dropoutRate: Float = 0.1, layerNormEpsilon: Float = 1e-6, feedForwardProjection: String = "relu",
        tieWordEmbeddings: Bool = true, decoderStartTokenID: Int = 0, eosTokenID: Int = 1, padTokenID: Int = 0
    ) throws {
        self.modelType = "t5"
        self.vocabularySize = vocabularySize
        self.modelDimension = modelDimension
        self.keyValueDimension = keyValueDimension
        self.feedForwardDimension = feedForwardDimension
        self.encoderLayerCount = encoderLayerCount
        self.decoderLayerCount = decoderLayerCount ?? encoderLayerCount
        self.headCount = headCount
        self.relativeAttentionBucketCount = relativeAttentionBucketCount
        self.relativeAttentionMaxDistance = relativeAttentionMaxDistance
        self.dropoutRate = dropoutRate
        self.layerNormEpsilon = layerNormEpsilon
        self.feedForwardProjection = feedForwardProjection
        self.tieWordEmbeddings = tieWordEmbeddings
        self.decoderStartTokenID = decoderStartTokenID
        self.eosTokenID = eosTokenID
        self.padTokenID = padTokenID
        let parsed = try Self.parseFeedForwardProjection(feedForwardProjection, file: "T5Configuration")
        self.denseActivation = parsed.activation
        self.isGatedActivation = parsed.gated
        try validate(file: "T5Configuration")
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType)
        vocabularySize = try c.decodeIfPresent(Int.self, forKey: .vocabularySize) ?? vocabularySize
        modelDimension = try c.decodeIfPresent(Int.self, forKey: .modelDimension) ?? modelDimension
        keyValueDimension = try c.decodeIfPresent(Int.self, forKey: .keyValueDimension) ?? keyValueDimension
        feedForwardDimension = try c.decodeIfPresent(Int.self, forKey: .feedForwardDimension) ?? feedForwardDimension
        encoderLayerCount = try c.decodeIfPresent(Int.self, forKey: .encoderLayerCount) ?? encoderLayerCount
        decoderLayerCount = try c.decodeIfPresent(Int.self, forKey: .decoderLayerCount) ?? encoderLayerCount
        headCount = try c.decodeIfPresent(Int.self, forKey: .headCount) ?? headCount
        relativeAttentionBucketCount =
            try c.decodeIfPresent(Int.self, forKey: .relativeAttentionBucketCount) ?? relativeAttentionBucketCount
        relativeAttentionMaxDistance =
            try c.decodeIfPresent(Int.self, forKey: .relativeAttentionMaxDistance) ?? relativeAttentionMaxDistance
        dropoutRate = try c.decodeIfPresent(Float.self, forKey: .dropoutRate) ?? dropoutRate
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? layerNormEpsilon
        initializerFactor = try c.decodeIfPresent(Float.self, forKey: .initializerFactor) ?? initializerFactor
        feedForwardProjection =
            try c.decodeIfPresent(String.self, forKey: .feedForwardProjection) ?? feedForwardProjection
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? tieWordEmbeddings
        decoderStartTokenID = try c.decodeIfPresent(Int.self, forKey: .decoderStartTokenID) ?? decoderStartTokenID
        eosTokenID = try Self.decodeTokenID(c, .eosTokenID) ?? eosTokenID
        padTokenID = try c.decodeIfPresent(Int.self, forKey: .padTokenID) ?? padTokenID
        summaryDropoutProbability = try c.decodeIfPresent(Float.self, forKey: .summaryDropoutProbability)
        // transformers derives `dense_act_fn` / `is_gated_act` from `feed_forward_proj`, but values
        // stored in the file are set afterwards and win (PretrainedConfig keeps extra keys).
        let parsed = try Self.parseFeedForwardProjection(feedForwardProjection, file: "config.json")
        denseActivation = try c.decodeIfPresent(String.self, forKey: .denseActivation) ?? parsed.activation
        isGatedActivation = try c.decodeIfPresent(Bool.self, forKey: .isGatedActivation) ?? parsed.gated
    }

    /// `eos_token_id` may be one id or a list; the first id of a list is used.
    private static func decodeTokenID(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Int? {
        if let single = try? c.decodeIfPresent(Int.self, forKey: key) { return single }
        return try c.decodeIfPresent([Int].self, forKey: key)?.first
    }

    /// Splits `feed_forward_proj` as `T5Config` does: `"act"` or `"gated-act"`; `"gated-gelu"` means `gelu_new`.
    static func parseFeedForwardProjection(_ value: String, file: String) throws -> (activation: String, gated: Bool) {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard let last = parts.last, !last.isEmpty, parts.count <= 2, parts.count == 1 || parts[0] == "gated" else {
            throw ModelError.invalidConfiguration(
                file: file, key: "feed_forward_proj",
                reason:
                    "\"\(value)\" is not of the form \"gated-{ACT_FN}\" or \"{ACT_FN}\" (e.g. \"gated-gelu\", \"relu\")"
            )
        }
        if value == "gated-gelu" { return ("gelu_new", true) }
        return (last, parts.count == 2)
    }

    /// The feed-forward activation, parsed from ``denseActivation``.
    public func activation(file: String = "config.json") throws -> Activation {
        try Activation.configured(denseActivation, file: file, key: "dense_act_fn")
    }

    /// Checks every size and id for a usable model; names the first bad key.
    public func validate(file: String = "config.json") throws {
        func positive(_ value: Int, _ key: String) throws {
            guard value > 0 else {
                throw ModelError.invalidConfiguration(file: file, key: key, reason: "must be positive, got \(value)")
            }
        }
        try positive(vocabularySize, "vocab_size")
        try positive(modelDimension, "d_model")
        try positive(keyValueDimension, "d_kv")
        try positive(feedForwardDimension, "d_ff")
        try positive(encoderLayerCount, "num_layers")
        try positive(decoderLayerCount, "num_decoder_layers")
        try positive(headCount, "num_heads")
        guard relativeAttentionBucketCount >= 4 else {
            throw ModelError.invalidConfiguration(
                file: file, key: "relative_attention_num_buckets",
                reason: "must be at least 4, got \(relativeAttentionBucketCount)")
        }
        guard relativeAttentionMaxDistance > relativeAttentionBucketCount / 2 else {
            throw ModelError.invalidConfiguration(
                file: file, key: "relative_attention_max_distance",
                reason:
                    "must exceed relative_attention_num_buckets / 2 (\(relativeAttentionBucketCount / 2)), got \(relativeAttentionMaxDistance)"
            )
        }
        guard dropoutRate >= 0 && dropoutRate < 1 else {
            throw ModelError.invalidConfiguration(
                file: file, key: "dropout_rate", reason: "must be in [0, 1), got \(dropoutRate)")
        }
        guard layerNormEpsilon >= 0 && layerNormEpsilon.isFinite else {
            throw ModelError.invalidConfiguration(
                file: file, key: "layer_norm_epsilon", reason: "must be a non-negative number, got \(layerNormEpsilon)")
        }
        for (value, key) in [
            (decoderStartTokenID, "decoder_start_token_id"), (eosTokenID, "eos_token_id"), (padTokenID, "pad_token_id"),
        ] {
            guard value >= 0 && value < vocabularySize else {
                throw ModelError.invalidConfiguration(
                    file: file, key: key, reason: "\(value) is outside the vocabulary 0..<\(vocabularySize)")
            }
        }
        if let p = summaryDropoutProbability, !(p >= 0 && p < 1) {
            throw ModelError.invalidConfiguration(
                file: file, key: "summary_dropout_prob", reason: "must be in [0, 1), got \(p)")
        }
        _ = try activation(file: file)
    }

    /// Inner width of the attention projections, `num_heads · d_kv`.
    public var innerDimension: Int { headCount * keyValueDimension }

    /// The model types this implementation accepts in `config.json`.
    public static let supportedModelTypes = ["t5"]

    /// Reads and validates a `config.json`.
    ///
    /// Throws ``ModelError/missingFile(folder:name:)`` when the file is absent,
    /// ``ModelError/unsupportedModelType(file:modelType:supported:)`` for another `model_type`, and
    /// ``ModelError/invalidConfiguration(file:key:reason:)`` for bad values or malformed JSON.
    public static func load(from url: URL) throws -> T5Configuration {
        let file = url.path
        guard FileManager.default.fileExists(atPath: file) else {
            throw ModelError.missingFile(folder: url.deletingLastPathComponent().path, name: url.lastPathComponent)
        }
        let data = try Data(contentsOf: url)
        let configuration: T5Configuration
        do {
            configuration = try JSONDecoder().decode(T5Configuration.self, from: data)
        } catch let error as ModelError {
            throw error.withFile(file)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ModelError.invalidConfiguration(file: file, key: key, reason: context.debugDescription)
        } catch {
            throw ModelError.invalidConfiguration(file: file, key: "(root)", reason: "not a JSON object: \(error)")
        }
        if let type = configuration.modelType, !supportedModelTypes.contains(type) {
            throw ModelError.unsupportedModelType(file: file, modelType: type, supported: supportedModelTypes)
        }
        try configuration.validate(file: file)
        return configuration
    }
}

extension ModelError {
    /// The same error with the file name filled in (configuration parsing does not know it).
    fileprivate func withFile(_ file: String) -> ModelError {
        if case .invalidConfiguration(_, let key, let reason) = self {
            return .invalidConfiguration(file: file, key: key, reason: reason)
        }
        return self
    }
}
