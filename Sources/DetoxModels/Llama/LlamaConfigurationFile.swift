// Port of transformers src/transformers/models/llama/configuration_llama.py (v4.46.3): the checks
// shared by the Llama and Qwen2 configurations.
import DetoxNN

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
