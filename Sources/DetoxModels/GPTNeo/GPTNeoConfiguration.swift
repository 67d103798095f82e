// Port of transformers src/transformers/models/gpt_neo/configuration_gpt_neo.py (v4.46.3)
import DetoxNN
import Foundation

/// The hyperparameters of a GPT-Neo model, decoded from a Hugging Face `config.json`.
///
/// Every field missing from the file takes `GPTNeoConfig`'s default; `attention_types` (groups of
/// `[[kinds], repeats]`) expands to one kind per layer, ``attentionLayers``, which must count
/// `num_layers`. `intermediate_size` falls back to `4 · hidden_size`. GPT-Neo has no pad id, so
/// padding uses EOS. Invalid values throw ``ModelError/invalidConfiguration(file:key:reason:)``. The
/// fields GPT-2 shares are decoded and checked by ``GPTFamilyConfiguration``'s implementation.
public struct GPTNeoConfiguration: GPTFamilyConfiguration {
    public typealias Attention = GPTNeoAttention

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
        try decodeSharedFields(c)
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? maxPositionEmbeddings
        attentionTypes = try c.decodeIfPresent([AttentionGroup].self, forKey: .attentionTypes) ?? attentionTypes
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize)
        windowSize = try c.decodeIfPresent(Int.self, forKey: .windowSize) ?? windowSize
    }

    public static let family = "gpt_neo"
    public static let feedForwardIsConv1D = false

    /// ``maxPositionEmbeddings``, the length of the learned position table.
    public var positionCount: Int { maxPositionEmbeddings }

    /// `initializer_range`: GPT-Neo's `_init_weights` does not scale `c_proj`.
    public var residualProjectionStd: Float { initializerRange }

    /// `attention_types` expanded to one kind per layer, as `GPTNeoConfig.expand_attention_types_params`.
    public var attentionLayers: [AttentionKind] {
        attentionTypes.flatMap { group in (0..<Swift.max(0, group.repeats)).flatMap { _ in group.kinds } }
    }

    /// The feed-forward width, `intermediate_size` or `4 · hidden_size`.
    public var feedForwardSize: Int { intermediateSize ?? 4 * hiddenSize }

    /// Checks every size and id for a usable model; names the first bad key.
    public func validate(file: String = "config.json") throws {
        try validateSharedFields(file: file) { check in
            try check.positive(maxPositionEmbeddings, "max_position_embeddings")
            try check.positive(windowSize, "window_size")
            if let intermediateSize { try check.positive(intermediateSize, "intermediate_size") }
            // Checked before expanding, so a huge repeat count allocates nothing.
            let layers = attentionTypes.reduce(0) {
                $0 + $1.kinds.count * Swift.max(0, Swift.min($1.repeats, 1 << 20))
            }
            guard layers == layerCount, attentionTypes.allSatisfy({ $0.repeats >= 0 }) else {
                throw ModelError.invalidConfiguration(
                    file: file, key: "attention_types",
                    reason: "expands to \(layers) layers, num_layers is \(layerCount)")
            }
        }
    }

    /// Reads and validates a `config.json` (`model_type` must be `gpt_neo` when present; the errors
    /// of ``GPT2Configuration/load(from:)``).
    public static func load(from url: URL) throws -> GPTNeoConfiguration { try loadFile(from: url) }
}

extension GPTNeoConfiguration: GPTConfigurationFile {
    typealias Keys = CodingKeys
}

extension GPTNeoConfiguration.CodingKeys: GPTConfigurationKeys {}
