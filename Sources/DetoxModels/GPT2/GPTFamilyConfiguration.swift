// Port of transformers src/transformers/models/gpt2/configuration_gpt2.py and
// models/gpt_neo/configuration_gpt_neo.py (v4.46.3): the fields GPT-2 and GPT-Neo share
import DetoxNN
import Foundation

/// The configuration of a GPT-2-style family, GPT-2 (``GPT2Configuration``) or GPT-Neo
/// (``GPTNeoConfiguration``): token and learned position embeddings, pre-norm blocks
/// (`ln_1`, `attn`, `ln_2`, `mlp`), a final `ln_f`, and a head tied to `wte` unless
/// `tie_word_embeddings` is false. The shared layers (``GPTForCausalLM``, ``GPTModel``,
/// ``GPTBlock``, ``GPTMLP``) read these values; the family brings its attention layer.
///
/// Fields the two `config.json` formats name alike are decoded and checked by one shared
/// implementation, under each family's keys; GPT-2's `n_embd` is GPT-Neo's `hidden_size`.
public protocol GPTFamilyConfiguration: Codable, Sendable, Equatable {
    /// The family's attention layer, the block's `attn` child.
    associatedtype Attention: GPTAttentionLayer where Attention.Configuration == Self
    /// The `model_type` of the family's `config.json`.
    static var family: String { get }
    /// Whether `c_fc` and `c_proj` are `Conv1D` layers (weight `[in, out]`, GPT-2) rather than
    /// `nn.Linear` (GPT-Neo).
    static var feedForwardIsConv1D: Bool { get }

    var modelType: String? { get set }
    var vocabularySize: Int { get set }
    var hiddenSize: Int { get set }
    var layerCount: Int { get set }
    var headCount: Int { get set }
    var activationFunction: String { get set }
    var residualDropout: Float { get set }
    var embeddingDropout: Float { get set }
    var attentionDropout: Float { get set }
    var layerNormEpsilon: Float { get set }
    var initializerRange: Float { get set }
    var tieWordEmbeddings: Bool { get set }
    var bosTokenID: Int { get set }
    var eosTokenID: Int { get set }
    /// `pad_token_id` when the file sets one; EOS pads otherwise.
    var padTokenID: Int? { get set }
    /// TRL's value-head dropout (`summary_dropout_prob`), when the config carries one.
    var summaryDropoutProbability: Float? { get set }

    /// The length of the learned position table.
    var positionCount: Int { get }
    /// The feed-forward width.
    var feedForwardSize: Int { get }
    /// The standard deviation `_init_weights` gives the residual `c_proj` projections.
    var residualProjectionStd: Float { get }

    /// Checks every size and id for a usable model; names the first bad key.
    func validate(file: String) throws
    /// Reads and validates a `config.json` whose `model_type`, when present, is ``family``.
    static func load(from url: URL) throws -> Self
}

extension GPTFamilyConfiguration {
    /// The width of one attention head.
    public var headDimension: Int { hiddenSize / Swift.max(headCount, 1) }

    /// The feed-forward activation, parsed from ``activationFunction``.
    public func activation(file: String = "config.json") throws -> Activation {
        try Activation.configured(activationFunction, file: file, key: "activation_function")
    }
}

/// The `config.json` keys of the fields every GPT-2-style family has (the families' `CodingKeys`).
protocol GPTConfigurationKeys: CodingKey {
    static var modelType: Self { get }
    static var vocabularySize: Self { get }
    static var hiddenSize: Self { get }
    static var layerCount: Self { get }
    static var headCount: Self { get }
    static var activationFunction: Self { get }
    static var residualDropout: Self { get }
    static var embeddingDropout: Self { get }
    static var attentionDropout: Self { get }
    static var layerNormEpsilon: Self { get }
    static var initializerRange: Self { get }
    static var tieWordEmbeddings: Self { get }
    static var bosTokenID: Self { get }
    static var eosTokenID: Self { get }
    static var padTokenID: Self { get }
    static var summaryDropoutProbability: Self { get }
}

/// Reading and checking the shared fields under one family's keys.
protocol GPTConfigurationFile: GPTFamilyConfiguration {
    associatedtype Keys: GPTConfigurationKeys
}

extension GPTConfigurationFile {
    /// Decodes the shared fields; each missing one keeps its current (the family's default) value.
    mutating func decodeSharedFields(_ c: KeyedDecodingContainer<Keys>) throws {
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType)
        vocabularySize = try c.decodeIfPresent(Int.self, forKey: .vocabularySize) ?? vocabularySize
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
        layerCount = try c.decodeIfPresent(Int.self, forKey: .layerCount) ?? layerCount
        headCount = try c.decodeIfPresent(Int.self, forKey: .headCount) ?? headCount
        activationFunction = try c.decodeIfPresent(String.self, forKey: .activationFunction) ?? activationFunction
        residualDropout = try c.decodeIfPresent(Float.self, forKey: .residualDropout) ?? residualDropout
        embeddingDropout = try c.decodeIfPresent(Float.self, forKey: .embeddingDropout) ?? embeddingDropout
        attentionDropout = try c.decodeIfPresent(Float.self, forKey: .attentionDropout) ?? attentionDropout
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? layerNormEpsilon
        initializerRange = try c.decodeIfPresent(Float.self, forKey: .initializerRange) ?? initializerRange
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? tieWordEmbeddings
        bosTokenID = try CausalConfigurationDecoding.tokenID(c, .bosTokenID) ?? bosTokenID
        eosTokenID = try CausalConfigurationDecoding.tokenID(c, .eosTokenID) ?? eosTokenID
        padTokenID = try CausalConfigurationDecoding.tokenID(c, .padTokenID)
        summaryDropoutProbability = try c.decodeIfPresent(Float.self, forKey: .summaryDropoutProbability)
    }

    /// Checks the shared fields, and the family's own through `familyChecks` (after the shared
    /// sizes); the first bad value throws ``ModelError/invalidConfiguration(file:key:reason:)``.
    func validateSharedFields(
        file: String, familyChecks: (CausalConfigurationDecoding.Checker) throws -> Void
    ) throws {
        func key(_ k: Keys) -> String { k.stringValue }
        let check = CausalConfigurationDecoding.Checker(file: file)
        try check.positive(vocabularySize, key(.vocabularySize))
        try check.positive(hiddenSize, key(.hiddenSize))
        try check.positive(layerCount, key(.layerCount))
        try check.positive(headCount, key(.headCount))
        try familyChecks(check)
        guard hiddenSize % headCount == 0 else {
            throw ModelError.invalidConfiguration(
                file: file, key: key(.headCount),
                reason: "\(key(.hiddenSize)) \(hiddenSize) is not a multiple of \(headCount) heads")
        }
        try check.probability(residualDropout, key(.residualDropout))
        try check.probability(embeddingDropout, key(.embeddingDropout))
        try check.probability(attentionDropout, key(.attentionDropout))
        if let p = summaryDropoutProbability { try check.probability(p, key(.summaryDropoutProbability)) }
        try check.epsilon(layerNormEpsilon, key(.layerNormEpsilon))
        try check.tokenID(bosTokenID, key(.bosTokenID), vocabularySize: vocabularySize)
        try check.tokenID(eosTokenID, key(.eosTokenID), vocabularySize: vocabularySize)
        if let padTokenID { try check.tokenID(padTokenID, key(.padTokenID), vocabularySize: vocabularySize) }
        _ = try activation(file: file)
    }

    /// Reads and validates `url`.
    ///
    /// Throws ``ModelError/missingFile(folder:name:)`` when the file is absent,
    /// ``ModelError/unsupportedModelType(file:modelType:supported:)`` for another `model_type`, and
    /// ``ModelError/invalidConfiguration(file:key:reason:)`` for bad values or malformed JSON.
    static func loadFile(from url: URL) throws -> Self {
        let configuration = try CausalConfigurationDecoding.decode(Self.self, from: url)
        if let type = configuration.modelType, type != family {
            throw ModelError.unsupportedModelType(file: url.path, modelType: type, supported: [family])
        }
        try configuration.validate(file: url.path)
        return configuration
    }
}
