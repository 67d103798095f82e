// Semantics of transformers src/transformers/generation/configuration_utils.py (v4.46.3)

/// How to generate: greedy or sampling, the logits warpers, lengths and special ids.
///
/// Defaults follow transformers' `GenerationConfig`: greedy; when sampling, `temperature` 1,
/// `top_k` 50 and `top_p` 1. Set `topK = 0` and `topP = 1` for pure sampling from the model's
/// distribution (TRL's PPO setting). Processors run in transformers' order: suppression of EOS
/// before `minNewTokens`, then (sampling only) temperature, top-k, top-p.
public struct GenerationConfig: Sendable, Equatable, Codable {
    /// Sample from the warped distribution (`do_sample`); otherwise pick the arg-max.
    public var doSample: Bool = false
    /// Divides the scores before sampling; must be positive.
    public var temperature: Float = 1.0
    /// Keep only the `topK` highest scores (ties with the k-th kept); `0` disables.
    public var topK: Int = 50
    /// Keep the smallest set of tokens whose probability reaches `topP` (at least one); `1` disables.
    public var topP: Float = 1.0
    /// The EOS id gets probability 0 until this many tokens have been generated.
    public var minNewTokens: Int = 0
    /// Upper bound on generated tokens (the decoder start token is not counted).
    public var maxNewTokens: Int = 20
    /// Overrides the model's `eos_token_id`; an id outside the vocabulary (e.g. `-1`, TRL's trick)
    /// never matches, so rows run to `maxNewTokens`.
    public var eosTokenID: Int?
    /// Overrides the model's `pad_token_id`, written after a row's EOS.
    public var padTokenID: Int?
    /// Overrides the model's `decoder_start_token_id`, the first token of every output row.
    public var decoderStartTokenID: Int?
    /// Seed for sampling when no generator is passed explicitly.
    public var seed: UInt64 = 0
    /// Also return the log-probability of every chosen token.
    public var returnLogProbabilities: Bool = false
    /// Which distribution those log-probabilities come from.
    public var logProbabilitySource: LogProbabilitySource = .model
    /// When set, ids `>= vocabularyLimit` get probability 0 (e.g. 32100 to exclude t5-small's
    /// unused embedding rows 32100..<32128). transformers does not mask them; neither does the default.
    public var vocabularyLimit: Int?

    /// The distribution a returned log-probability is taken from.
    public enum LogProbabilitySource: String, Sendable, Codable {
        /// `log_softmax` of the model's raw logits (what PPO's forward pass recomputes).
        case model
        /// `log_softmax` of the processed scores the token was chosen from (after EOS suppression,
        /// temperature, top-k, top-p), as transformers' `output_scores`.
        case processed
    }

    public init(
        doSample: Bool = false, temperature: Float = 1.0, topK: Int = 50, topP: Float = 1.0,
        minNewTokens: Int = 0, maxNewTokens: Int = 20, eosTokenID: Int? = nil, padTokenID: Int? = nil,
        decoderStartTokenID: Int? = nil, seed: UInt64 = 0, returnLogProbabilities: Bool = false,
        logProbabilitySource: LogProbabilitySource = .model, vocabularyLimit: Int? = nil
    ) {
        self.doSample = doSample
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minNewTokens = minNewTokens
        self.maxNewTokens = maxNewTokens
        self.eosTokenID = eosTokenID
        self.padTokenID = padTokenID
        self.decoderStartTokenID = decoderStartTokenID
        self.seed = seed
        self.returnLogProbabilities = returnLogProbabilities
        self.logProbabilitySource = logProbabilitySource
        self.vocabularyLimit = vocabularyLimit
    }

    enum CodingKeys: String, CodingKey {
        case doSample = "do_sample"
        case temperature
        case topK = "top_k"
        case topP = "top_p"
        case minNewTokens = "min_new_tokens"
        case maxNewTokens = "max_new_tokens"
        case eosTokenID = "eos_token_id"
        case padTokenID = "pad_token_id"
        case decoderStartTokenID = "decoder_start_token_id"
        case seed
        case returnLogProbabilities = "return_log_probabilities"
        case logProbabilitySource = "log_probability_source"
        case vocabularyLimit = "vocabulary_limit"
    }

    /// Decodes transformers' `generation_config.json` names (`do_sample`, `top_k`, `max_new_tokens`,
    /// ...); every missing key keeps its default, and unknown keys are ignored.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        doSample = try c.decodeIfPresent(Bool.self, forKey: .doSample) ?? doSample
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature) ?? temperature
        topK = try c.decodeIfPresent(Int.self, forKey: .topK) ?? topK
        topP = try c.decodeIfPresent(Float.self, forKey: .topP) ?? topP
        minNewTokens = try c.decodeIfPresent(Int.self, forKey: .minNewTokens) ?? minNewTokens
        maxNewTokens = try c.decodeIfPresent(Int.self, forKey: .maxNewTokens) ?? maxNewTokens
        eosTokenID = try c.decodeIfPresent(Int.self, forKey: .eosTokenID)
        padTokenID = try c.decodeIfPresent(Int.self, forKey: .padTokenID)
        decoderStartTokenID = try c.decodeIfPresent(Int.self, forKey: .decoderStartTokenID)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
        returnLogProbabilities =
            try c.decodeIfPresent(Bool.self, forKey: .returnLogProbabilities) ?? returnLogProbabilities
        logProbabilitySource =
            try c.decodeIfPresent(LogProbabilitySource.self, forKey: .logProbabilitySource) ?? logProbabilitySource
        vocabularyLimit = try c.decodeIfPresent(Int.self, forKey: .vocabularyLimit)
    }

    /// Greedy decoding (`do_sample=False`).
    public static func greedy(maxNewTokens: Int, minNewTokens: Int = 0) -> GenerationConfig {
        GenerationConfig(minNewTokens: minNewTokens, maxNewTokens: maxNewTokens)
    }

    /// Sampling with the given warpers (`topK: 0, topP: 1` is pure sampling).
    public static func sampling(
        maxNewTokens: Int, temperature: Float = 1.0, topK: Int = 0, topP: Float = 1.0, minNewTokens: Int = 0,
        seed: UInt64 = 0
    ) -> GenerationConfig {
        GenerationConfig(
            doSample: true, temperature: temperature, topK: topK, topP: topP,
            minNewTokens: minNewTokens, maxNewTokens: maxNewTokens, seed: seed)
    }

    /// Checks the values as transformers' validation does.
    /// - Throws: ``ModelError/invalidInput(_:)`` naming the bad setting.
    public func validate(vocabularySize: Int) throws {
        guard maxNewTokens > 0 else {
            throw ModelError.invalidInput("maxNewTokens must be positive, got \(maxNewTokens)")
        }
        guard minNewTokens >= 0 else {
            throw ModelError.invalidInput("minNewTokens must not be negative, got \(minNewTokens)")
        }
        guard topK >= 0 else { throw ModelError.invalidInput("topK must not be negative, got \(topK)") }
        guard topP >= 0 && topP <= 1 else { throw ModelError.invalidInput("topP must be in [0, 1], got \(topP)") }
        if doSample {
            guard temperature > 0 && temperature.isFinite else {
                throw ModelError.invalidInput(
                    "temperature must be positive when sampling, got \(temperature) (use doSample = false for greedy)")
            }
        }
        if let limit = vocabularyLimit, !(limit > 0 && limit <= vocabularySize) {
            throw ModelError.invalidInput("vocabularyLimit \(limit) is outside 1...\(vocabularySize)")
        }
        for (value, name) in [(padTokenID, "padTokenID"), (decoderStartTokenID, "decoderStartTokenID")] {
            if let value, value < 0 || value >= vocabularySize {
                throw ModelError.invalidInput("\(name) \(value) is outside the vocabulary 0..<\(vocabularySize)")
            }
        }
    }
}
