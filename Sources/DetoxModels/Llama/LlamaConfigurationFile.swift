// Port of transformers src/transformers/models/llama/configuration_llama.py (v4.46.3): the checks
// shared by the Llama and Qwen2 configurations.
import DetoxNN
import Foundation

/// Checking a Llama-like `config.json` (Llama, Qwen2); reading it is ``CausalConfigurationDecoding``'s.
enum LlamaConfigurationFile {
    /// Every value the layer settings need, as one family's configuration resolved it.
    struct Values {
        var modelType: String
        var vocabularySize, hiddenSize, intermediateSize, layerCount, headCount, keyValueHeadCount: Int
        var headDimension: Int
        var hiddenActivation: String
        var maxPositionEmbeddings: Int
        var initializerRange, rmsNormEpsilon: Float
        var ropeTheta: Double
        var ropeScaling: LlamaRopeScaling?
        var partialRotaryFactor: Double?
        var queryKeyValueBias, outputBias, mlpBias: Bool
        var attentionDropout: Float
        var tieWordEmbeddings: Bool
        var bosTokenID, eosTokenID, padTokenID: Int?
        var summaryDropoutProbability: Float?
    }

    /// Checks `v` and makes the settings; the first bad value throws
    /// ``ModelError/invalidConfiguration(file:key:reason:)`` naming its key.
    static func settings(_ v: Values, file: String) throws -> LlamaSettings {
        func fail(_ key: String, _ reason: String) -> ModelError {
            .invalidConfiguration(file: file, key: key, reason: reason)
        }
        for (value, key) in [
            (v.vocabularySize, "vocab_size"), (v.hiddenSize, "hidden_size"), (v.intermediateSize, "intermediate_size"),
            (v.layerCount, "num_hidden_layers"), (v.headCount, "num_attention_heads"),
            (v.keyValueHeadCount, "num_key_value_heads"), (v.headDimension, "head_dim"),
            (v.maxPositionEmbeddings, "max_position_embeddings"),
        ] where value <= 0 {
            throw fail(key, "must be positive, got \(value)")
        }
        guard v.headCount % v.keyValueHeadCount == 0 else {
            throw fail(
                "num_key_value_heads",
                "\(v.keyValueHeadCount) does not divide num_attention_heads \(v.headCount)")
        }
        guard v.headDimension % 2 == 0 else {
            throw fail("head_dim", "the rotary embedding needs an even head dimension, got \(v.headDimension)")
        }
        guard v.hiddenActivation == "silu" else {
            throw fail("hidden_act", "only \"silu\" is supported, got \"\(v.hiddenActivation)\"")
        }
        guard v.rmsNormEpsilon >= 0 && v.rmsNormEpsilon.isFinite else {
            throw fail("rms_norm_eps", "must be a non-negative number, got \(v.rmsNormEpsilon)")
        }
        guard v.initializerRange >= 0 && v.initializerRange.isFinite else {
            throw fail("initializer_range", "must be a non-negative number, got \(v.initializerRange)")
        }
        guard v.ropeTheta > 0 && v.ropeTheta.isFinite else {
            throw fail("rope_theta", "must be positive, got \(v.ropeTheta)")
        }
        if let factor = v.partialRotaryFactor, factor != 1 {
            throw fail("partial_rotary_factor", "only 1 is supported, got \(factor)")
        }
        guard v.attentionDropout >= 0 && v.attentionDropout < 1 else {
            throw fail("attention_dropout", "must be in [0, 1), got \(v.attentionDropout)")
        }
        for (value, key) in [
            (v.bosTokenID, "bos_token_id"), (v.eosTokenID, "eos_token_id"), (v.padTokenID, "pad_token_id"),
        ] {
            if let value, !(0..<v.vocabularySize).contains(value) {
                throw fail(key, "\(value) is outside the vocabulary 0..<\(v.vocabularySize)")
            }
        }
        if let p = v.summaryDropoutProbability, !(p >= 0 && p < 1) {
            throw fail("summary_dropout_prob", "must be in [0, 1), got \(p)")
        }
        let scaling = try v.ropeScaling?.rotaryScaling(file: file)
        return LlamaSettings(
            modelType: v.modelType, vocabularySize: v.vocabularySize, hiddenSize: v.hiddenSize,
            intermediateSize: v.intermediateSize, layerCount: v.layerCount, headCount: v.headCount,
            keyValueHeadCount: v.keyValueHeadCount, headDimension: v.headDimension, rmsNormEpsilon: v.rmsNormEpsilon,
            rotary: Rotary(dimension: v.headDimension, base: v.ropeTheta, scaling: scaling),
            queryKeyValueBias: v.queryKeyValueBias, outputBias: v.outputBias, mlpBias: v.mlpBias,
            attentionDropout: v.attentionDropout, initializerRange: v.initializerRange,
            tieWordEmbeddings: v.tieWordEmbeddings, bosTokenID: v.bosTokenID, eosTokenID: v.eosTokenID,
            padTokenID: v.padTokenID, summaryDropoutProbability: v.summaryDropoutProbability)
    }

    /// A token id that may be absent (`value`), `null`, one id or a list (its first id).
    static func tokenID<Key: CodingKey>(_ c: KeyedDecodingContainer<Key>, _ key: Key, default value: Int?) throws
        -> Int?
    {
        c.contains(key) ? try CausalConfigurationDecoding.tokenID(c, key) : value
    }
}

/// The `config.json` keys of the fields Llama and Qwen2 share (the families' `CodingKeys`).
protocol LlamaConfigurationKeys: CodingKey {
    static var modelType: Self { get }
    static var vocabularySize: Self { get }
    static var hiddenSize: Self { get }
    static var intermediateSize: Self { get }
    static var layerCount: Self { get }
    static var headCount: Self { get }
    static var keyValueHeadCount: Self { get }
    static var hiddenActivation: Self { get }
    static var maxPositionEmbeddings: Self { get }
    static var initializerRange: Self { get }
    static var rmsNormEpsilon: Self { get }
    static var ropeTheta: Self { get }
    static var ropeScaling: Self { get }
    static var attentionDropout: Self { get }
    static var tieWordEmbeddings: Self { get }
    static var bosTokenID: Self { get }
    static var eosTokenID: Self { get }
    static var padTokenID: Self { get }
    static var summaryDropoutProbability: Self { get }
}

/// A Llama-like configuration (``LlamaConfiguration``, ``Qwen2Configuration``): the fields both
/// decode alike, under their keys, and map onto ``LlamaSettings``; each family adds its own.
protocol LlamaLikeConfiguration: Decodable {
    associatedtype Keys: LlamaConfigurationKeys
    /// The `model_type`s the family's `config.json` may name; the first when it names none.
    static var supportedModelTypes: [String] { get }
    var modelType: String? { get set }
    var vocabularySize: Int { get set }
    var hiddenSize: Int { get set }
    var intermediateSize: Int { get set }
    var layerCount: Int { get set }
    var headCount: Int { get set }
    var keyValueHeadCount: Int? { get set }
    var hiddenActivation: String { get set }
    var maxPositionEmbeddings: Int { get set }
    var initializerRange: Float { get set }
    var rmsNormEpsilon: Float { get set }
    var ropeTheta: Double { get set }
    var ropeScaling: LlamaRopeScaling? { get set }
    var attentionDropout: Float { get set }
    var tieWordEmbeddings: Bool { get set }
    var bosTokenID: Int? { get set }
    var eosTokenID: Int? { get set }
    var padTokenID: Int? { get set }
    var summaryDropoutProbability: Float? { get set }
    /// The layer settings after checking every value.
    func settings(file: String) throws -> LlamaSettings
}

extension LlamaLikeConfiguration {
    /// Decodes the shared fields; a missing one keeps its current (the family's default) value, and
    /// a `null` `num_key_value_heads` means the head count, as both transformers configs read it.
    mutating func decodeSharedFields(_ c: KeyedDecodingContainer<Keys>) throws {
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType)
        vocabularySize = try c.decodeIfPresent(Int.self, forKey: .vocabularySize) ?? vocabularySize
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? intermediateSize
        layerCount = try c.decodeIfPresent(Int.self, forKey: .layerCount) ?? layerCount
        headCount = try c.decodeIfPresent(Int.self, forKey: .headCount) ?? headCount
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
        attentionDropout = try c.decodeIfPresent(Float.self, forKey: .attentionDropout) ?? attentionDropout
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? tieWordEmbeddings
        bosTokenID = try LlamaConfigurationFile.tokenID(c, .bosTokenID, default: bosTokenID)
        eosTokenID = try LlamaConfigurationFile.tokenID(c, .eosTokenID, default: eosTokenID)
        padTokenID = try LlamaConfigurationFile.tokenID(c, .padTokenID, default: padTokenID)
        summaryDropoutProbability = try c.decodeIfPresent(Float.self, forKey: .summaryDropoutProbability)
    }

    /// The shared fields with the family's own, checked into settings (the first bad value throws
    /// ``ModelError/invalidConfiguration(file:key:reason:)`` naming its key).
    func sharedSettings(
        headDimension: Int, partialRotaryFactor: Double?, queryKeyValueBias: Bool, outputBias: Bool, mlpBias: Bool,
        file: String
    ) throws -> LlamaSettings {
        try LlamaConfigurationFile.settings(
            LlamaConfigurationFile.Values(
                modelType: modelType ?? Self.supportedModelTypes[0], vocabularySize: vocabularySize,
                hiddenSize: hiddenSize, intermediateSize: intermediateSize, layerCount: layerCount,
                headCount: headCount, keyValueHeadCount: keyValueHeadCount ?? headCount,
                headDimension: headDimension, hiddenActivation: hiddenActivation,
                maxPositionEmbeddings: maxPositionEmbeddings, initializerRange: initializerRange,
                rmsNormEpsilon: rmsNormEpsilon, ropeTheta: ropeTheta, ropeScaling: ropeScaling,
                partialRotaryFactor: partialRotaryFactor, queryKeyValueBias: queryKeyValueBias,
                outputBias: outputBias, mlpBias: mlpBias, attentionDropout: attentionDropout,
                tieWordEmbeddings: tieWordEmbeddings, bosTokenID: bosTokenID, eosTokenID: eosTokenID,
                padTokenID: padTokenID, summaryDropoutProbability: summaryDropoutProbability),
            file: file)
    }

    /// Reads a `config.json` and checks it.
    ///
    /// Throws ``ModelError/missingFile(folder:name:)`` when the file is absent,
    /// ``ModelError/unsupportedModelType(file:modelType:supported:)`` for another `model_type`, and
    /// ``ModelError/invalidConfiguration(file:key:reason:)`` for bad values or malformed JSON.
    static func loadFile(from url: URL) throws -> Self {
        let configuration = try CausalConfigurationDecoding.decode(Self.self, from: url)
        if let type = configuration.modelType, !supportedModelTypes.contains(type) {
            throw ModelError.unsupportedModelType(file: url.path, modelType: type, supported: supportedModelTypes)
        }
        _ = try configuration.settings(file: url.path)
        return configuration
    }
}
