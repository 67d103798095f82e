// Port of transformers src/transformers/models/bert/configuration_bert.py,
// models/electra/configuration_electra.py, models/roberta/configuration_roberta.py and the
// label handling of configuration_utils.py (v4.46.3)
import DetoxNN
import Foundation

/// The `config.json` of a BERT, ELECTRA or RoBERTa model, with transformers' defaults for every
/// missing field.
///
/// The three families share one encoder, so they share one configuration; `modelType` picks the
/// family and with it the defaults (ELECTRA-small sizes for `"electra"`, RoBERTa's vocabulary and
/// `pad_token_id = 1` for `"roberta"`). Labels follow `PretrainedConfig`: `id2label` (string keys in
/// JSON) decides the number of labels; without it, `num_labels` (default 2) gives `LABEL_0`,
/// `LABEL_1`, ….
///
/// Decode with ``init(contentsOf:)`` or ``init(jsonData:file:)`` to get
/// ``ModelError/invalidConfiguration(file:key:reason:)`` naming the file and key; a plain
/// `JSONDecoder` works too, with errors naming `config.json` (and type errors as `DecodingError`).
public struct BertConfiguration: Codable, Sendable, Equatable {
    /// The model families this configuration describes.
    public enum Family: String, Codable, Sendable, CaseIterable {
        case bert, electra, roberta

        /// The transformers class a sequence-classification checkpoint of this family names in
        /// `architectures`.
        public var sequenceClassificationArchitecture: String {
            switch self {
            case .bert: return "BertForSequenceClassification"
            case .electra: return "ElectraForSequenceClassification"
            case .roberta: return "RobertaForSequenceClassification"
            }
        }

        /// The transformers class of this family's bare encoder (`BertModel`, ...), as `architectures`
        /// names it in an encoder-only folder such as a sentence-transformers model.
        public var baseModelArchitecture: String {
            switch self {
            case .bert: return "BertModel"
            case .electra: return "ElectraModel"
            case .roberta: return "RobertaModel"
            }
        }

        /// The attribute name of the encoder in a checkpoint (`bert.`, `electra.`, `roberta.`).
        public var checkpointPrefix: String { rawValue }
    }

    /// The problem types transformers accepts for `problem_type`.
    public static let problemTypes = ["regression", "single_label_classification", "multi_label_classification"]

    /// `model_type`: `"bert"`, `"electra"` or `"roberta"`.
    public var family: Family
    /// `architectures`, when the file names any.
    public var architectures: [String]?
    public var vocabularySize: Int
    /// Width of the embedding tables: ELECTRA's `embedding_size` (projected to `hiddenSize` by
    /// `embeddings_project` when they differ); `hiddenSize` for BERT and RoBERTa.
    public var embeddingSize: Int
    public var hiddenSize: Int
    public var hiddenLayers: Int
    public var attentionHeads: Int
    public var intermediateSize: Int
    /// `hidden_act`, the feed-forward activation (`"gelu"` is exact erf GELU).
    public var hiddenActivation: String
    public var hiddenDropout: Float
    public var attentionDropout: Float
    /// `classifier_dropout`; `nil` means the head uses `hiddenDropout`.
    public var classifierDropout: Float?
    public var maxPositionEmbeddings: Int
    public var typeVocabularySize: Int
    public var initializerRange: Float
    public var layerNormEpsilon: Float
    /// `pad_token_id`; RoBERTa's position ids start after it.
    public var padTokenID: Int?
    public var bosTokenID: Int?
    public var eosTokenID: Int?
    /// Only `"absolute"` is supported.
    public var positionEmbeddingType: String
    /// Label names by class id.
    public var id2label: [Int: String]
    /// Class ids by label name.
    public var label2id: [String: Int]
    /// `problem_type`: `nil` or one of ``problemTypes``.
    public var problemType: String?

    /// Number of classes (`len(id2label)`).
    public var numLabels: Int { id2label.count }

    /// Label names in class-id order.
    public var labels: [String] { (0..<numLabels).map { id2label[$0] ?? "LABEL_\($0)" } }

    /// The dropout rate of the classification head.
    public var effectiveClassifierDropout: Float { classifierDropout ?? hiddenDropout }

    /// The parsed `hidden_act`.
    public func activation(file: String = "config.json") throws -> Activation {
        try Activation.configured(hiddenActivation, file: file, key: CodingKeys.hiddenActivation.rawValue)
    }

    /// Size of one attention head.
    public var headSize: Int { hiddenSize / Swift.max(attentionHeads, 1) }

    // MARK: - Defaults

    /// A configuration with transformers' defaults for `family` (what an otherwise empty
    /// `config.json` naming that `model_type` gives).
    public init(family: Family) {
        self.family = family
        architectures = nil
        switch family {
        case .bert:
            vocabularySize = 30522
            hiddenSize = 768
            hiddenLayers = 12
            attentionHeads = 12
            intermediateSize = 3072
            padTokenID = 0
            bosTokenID = nil
            eosTokenID = nil
        case .electra:
            vocabularySize = 30522
            hiddenSize = 256
            hiddenLayers = 12
            attentionHeads = 4
            intermediateSize = 1024
            padTokenID = 0
            bosTokenID = nil
            eosTokenID = nil
        case .roberta:
            vocabularySize = 50265
            hiddenSize = 768
            hiddenLayers = 12
            attentionHeads = 12
            intermediateSize = 3072
            padTokenID = 1
            bosTokenID = 0
            eosTokenID = 2
        }
        embeddingSize = family == .electra ? 128 : hiddenSize
        hiddenActivation = "gelu"
        hiddenDropout = 0.1
        attentionDropout = 0.1
        classifierDropout = nil
        maxPositionEmbeddings = 512
        typeVocabularySize = 2
        initializerRange = 0.02
        layerNormEpsilon = 1e-12
        positionEmbeddingType = "absolute"
        id2label = BertConfiguration.defaultLabels(count: 2)
        label2id = BertConfiguration.inverse(id2label)
        problemType = nil
    }

    /// `LABEL_0`, `LABEL_1`, … as transformers names unlabelled classes.
    public static func defaultLabels(count: Int) -> [Int: String] {
        Dictionary(uniqueKeysWithValues: (0..<Swift.max(count, 0)).map { ($0, "LABEL_\($0)") })
    }

    static func inverse(_ id2label: [Int: String]) -> [String: Int] {
        Dictionary(id2label.map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a })
    }

    // MARK: - Decoding

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case architectures
        case vocabularySize = "vocab_size"
        case embeddingSize = "embedding_size"
        case hiddenSize = "hidden_size"
        case hiddenLayers = "num_hidden_layers"
        case attentionHeads = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case hiddenActivation = "hidden_act"
        case hiddenDropout = "hidden_dropout_prob"
        case attentionDropout = "attention_probs_dropout_prob"
        case classifierDropout = "classifier_dropout"
        case maxPositionEmbeddings = "max_position_embeddings"
        case typeVocabularySize = "type_vocab_size"
        case initializerRange = "initializer_range"
        case layerNormEpsilon = "layer_norm_eps"
        case padTokenID = "pad_token_id"
        case bosTokenID = "bos_token_id"
        case eosTokenID = "eos_token_id"
        case positionEmbeddingType = "position_embedding_type"
        case id2label
        case label2id
        case numLabels = "num_labels"
        case problemType = "problem_type"
        case isDecoder = "is_decoder"
        case addCrossAttention = "add_cross_attention"
        case prunedHeads = "pruned_heads"
    }

    public init(from decoder: Decoder) throws {
        // Errors name "config.json"; `init(jsonData:file:)` replaces that with the real path.
        let file = BertConfiguration.placeholderFile
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? Family.bert.rawValue
        guard let family = Family(rawValue: modelType) else {
            throw ModelError.unsupportedModelType(
                file: file, modelType: modelType, supported: Family.allCases.map(\.rawValue))
        }
        self.init(family: family)
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures)
        vocabularySize = try c.decodeIfPresent(Int.self, forKey: .vocabularySize) ?? vocabularySize
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
        embeddingSize =
            family == .electra
            ? try c.decodeIfPresent(Int.self, forKey: .embeddingSize) ?? embeddingSize
            : hiddenSize
        hiddenLayers = try c.decodeIfPresent(Int.self, forKey: .hiddenLayers) ?? hiddenLayers
        attentionHeads = try c.decodeIfPresent(Int.self, forKey: .attentionHeads) ?? attentionHeads
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? intermediateSize
        hiddenActivation = try c.decodeIfPresent(String.self, forKey: .hiddenActivation) ?? hiddenActivation
        hiddenDropout = try c.decodeIfPresent(Float.self, forKey: .hiddenDropout) ?? hiddenDropout
        attentionDropout = try c.decodeIfPresent(Float.self, forKey: .attentionDropout) ?? attentionDropout
        classifierDropout = try c.decodeIfPresent(Float.self, forKey: .classifierDropout)
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? maxPositionEmbeddings
        typeVocabularySize = try c.decodeIfPresent(Int.self, forKey: .typeVocabularySize) ?? typeVocabularySize
        initializerRange = try c.decodeIfPresent(Float.self, forKey: .initializerRange) ?? initializerRange
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? layerNormEpsilon
        // An explicit `null` clears a token id; an absent key keeps the family default.
        if c.contains(.padTokenID) { padTokenID = try c.decodeIfPresent(Int.self, forKey: .padTokenID) }
        if c.contains(.bosTokenID) { bosTokenID = try c.decodeIfPresent(Int.self, forKey: .bosTokenID) }
        if c.contains(.eosTokenID) { eosTokenID = try c.decodeIfPresent(Int.self, forKey: .eosTokenID) }
        positionEmbeddingType =
            try c.decodeIfPresent(String.self, forKey: .positionEmbeddingType) ?? positionEmbeddingType
        problemType = try c.decodeIfPresent(String.self, forKey: .problemType)

        // Labels, as PretrainedConfig.__init__: id2label wins (num_labels is then ignored) and
        // label2id is read only alongside it; otherwise num_labels (default 2) names LABEL_i.
        if let raw = try c.decodeIfPresent([String: String].self, forKey: .id2label) {
            var labels: [Int: String] = [:]
            for (key, name) in raw {
                guard let id = Int(key) else {
                    throw ModelError.invalidConfiguration(
                        file: file, key: "id2label", reason: "key \"\(key)\" is not an integer")
                }
                labels[id] = name
            }
            id2label = labels
            label2id = try c.decodeIfPresent([String: Int].self, forKey: .label2id) ?? BertConfiguration.inverse(labels)
        } else {
            let count = try c.decodeIfPresent(Int.self, forKey: .numLabels) ?? 2
            guard count >= 1 else {
                throw ModelError.invalidConfiguration(
                    file: file, key: "num_labels", reason: "must be at least 1, found \(count)")
            }
            id2label = BertConfiguration.defaultLabels(count: count)
            label2id = BertConfiguration.inverse(id2label)
        }

        if try c.decodeIfPresent(Bool.self, forKey: .isDecoder) == true {
            throw ModelError.invalidConfiguration(
                file: file, key: "is_decoder",
                reason: "decoder (causal) mode is not supported for sequence classification")
        }
        if try c.decodeIfPresent(Bool.self, forKey: .addCrossAttention) == true {
            throw ModelError.invalidConfiguration(
                file: file, key: "add_cross_attention", reason: "cross-attention is not supported")
        }
        if let pruned = try c.decodeIfPresent([String: [Int]].self, forKey: .prunedHeads),
            pruned.values.contains(where: { !$0.isEmpty })
        {
            throw ModelError.invalidConfiguration(
                file: file, key: "pruned_heads", reason: "pruned attention heads are not supported")
        }
        try validate(file: file)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(family.rawValue, forKey: .modelType)
        try c.encodeIfPresent(architectures, forKey: .architectures)
        try c.encode(vocabularySize, forKey: .vocabularySize)
        if family == .electra { try c.encode(embeddingSize, forKey: .embeddingSize) }
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(hiddenLayers, forKey: .hiddenLayers)
        try c.encode(attentionHeads, forKey: .attentionHeads)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(hiddenActivation, forKey: .hiddenActivation)
        try c.encode(hiddenDropout, forKey: .hiddenDropout)
        try c.encode(attentionDropout, forKey: .attentionDropout)
        try c.encode(classifierDropout, forKey: .classifierDropout)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(typeVocabularySize, forKey: .typeVocabularySize)
        try c.encode(initializerRange, forKey: .initializerRange)
        try c.encode(layerNormEpsilon, forKey: .layerNormEpsilon)
        try c.encode(padTokenID, forKey: .padTokenID)
        try c.encodeIfPresent(bosTokenID, forKey: .bosTokenID)
        try c.encodeIfPresent(eosTokenID, forKey: .eosTokenID)
        try c.encode(positionEmbeddingType, forKey: .positionEmbeddingType)
        try c.encode(Dictionary(uniqueKeysWithValues: id2label.map { (String($0.key), $0.value) }), forKey: .id2label)
        try c.encode(label2id, forKey: .label2id)
        try c.encodeIfPresent(problemType, forKey: .problemType)
    }

    // MARK: - Loading

    /// The file name errors carry when decoding without ``init(jsonData:file:)``.
    static let placeholderFile = "config.json"

    /// Decodes `jsonData`, reporting every problem as ``ModelError`` against `file`.
    public init(jsonData: Data, file: String = "config.json") throws {
        do {
            self = try JSONDecoder().decode(BertConfiguration.self, from: jsonData)
        } catch ModelError.invalidConfiguration(BertConfiguration.placeholderFile, let key, let reason) {
            throw ModelError.invalidConfiguration(file: file, key: key, reason: reason)
        } catch ModelError.unsupportedModelType(BertConfiguration.placeholderFile, let modelType, let supported) {
            throw ModelError.unsupportedModelType(file: file, modelType: modelType, supported: supported)
        } catch let error as ModelError {
            throw error
        } catch let error as DecodingError {
            throw BertConfiguration.modelError(error, file: file)
        } catch {
            throw ModelError.invalidConfiguration(file: file, key: "", reason: "\(error)")
        }
    }

    /// Reads and decodes a `config.json`.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ModelError.missingFile(folder: url.deletingLastPathComponent().path, name: url.lastPathComponent)
        }
        try self.init(jsonData: data, file: url.path)
    }

    static func modelError(_ error: DecodingError, file: String) -> ModelError {
        func path(_ codingPath: [CodingKey]) -> String { codingPath.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .typeMismatch(let type, let context):
            return .invalidConfiguration(
                file: file, key: path(context.codingPath), reason: "expected \(type): \(context.debugDescription)")
        case .valueNotFound(let type, let context):
            return .invalidConfiguration(
                file: file, key: path(context.codingPath), reason: "expected \(type), found null")
        case .keyNotFound(let key, let context):
            return .invalidConfiguration(file: file, key: path(context.codingPath + [key]), reason: "missing")
        case .dataCorrupted(let context):
            return .invalidConfiguration(file: file, key: path(context.codingPath), reason: context.debugDescription)
        @unknown default:
            return .invalidConfiguration(file: file, key: "", reason: "\(error)")
        }
    }

    // MARK: - Validation

    /// Checks every value the model relies on; throws ``ModelError/invalidConfiguration(file:key:reason:)``.
    public func validate(file: String = "config.json") throws {
        func fail(_ key: CodingKeys, _ reason: String) -> ModelError {
            .invalidConfiguration(file: file, key: key.rawValue, reason: reason)
        }
        for (key, value) in [
            (CodingKeys.vocabularySize, vocabularySize), (.hiddenSize, hiddenSize),
            (.embeddingSize, embeddingSize), (.hiddenLayers, hiddenLayers),
            (.attentionHeads, attentionHeads), (.intermediateSize, intermediateSize),
            (.maxPositionEmbeddings, maxPositionEmbeddings), (.typeVocabularySize, typeVocabularySize),
        ]
        where value < 1 {
            throw fail(key, "must be at least 1, found \(value)")
        }
        guard hiddenSize % attentionHeads == 0 else {
            throw fail(.hiddenSize, "\(hiddenSize) is not a multiple of num_attention_heads \(attentionHeads)")
        }
        _ = try activation(file: file)
        for (key, value) in [
            (CodingKeys.hiddenDropout, hiddenDropout), (.attentionDropout, attentionDropout),
            (.classifierDropout, classifierDropout ?? 0),
        ]
        where !(value >= 0 && value <= 1) {
            throw fail(key, "must be a probability in [0, 1], found \(value)")
        }
        guard layerNormEpsilon >= 0 && layerNormEpsilon.isFinite else {
            throw fail(.layerNormEpsilon, "must be a finite non-negative number, found \(layerNormEpsilon)")
        }
        guard positionEmbeddingType == "absolute" else {
            throw fail(.positionEmbeddingType, "only \"absolute\" is supported, found \"\(positionEmbeddingType)\"")
        }
        if let problemType, !BertConfiguration.problemTypes.contains(problemType) {
            throw fail(
                .problemType,
                "must be one of \(BertConfiguration.problemTypes.joined(separator: ", ")), found \"\(problemType)\"")
        }
        guard numLabels >= 1, Set(id2label.keys) == Set(0..<numLabels) else {
            throw fail(.id2label, "keys must be the class ids 0..<\(numLabels), found \(id2label.keys.sorted())")
        }
        let names = labels
        if let repeated = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw fail(.id2label, "names \"\(repeated)\" for more than one class: \(names)")
        }
        // label2id may keep names id2label no longer uses (configs whose id2label was renamed), but
        // a name both maps use must point at the same class.
        for (name, id) in label2id.sorted(by: { $0.value < $1.value }) where names.contains(name) {
            guard names.indices.contains(id), names[id] == name else {
                throw fail(
                    .label2id,
                    "maps \"\(name)\" to \(id), but id2label has it as class \(names.firstIndex(of: name) ?? -1)")
            }
        }
        if let pad = padTokenID, pad < 0 || pad >= vocabularySize {
            throw fail(.padTokenID, "\(pad) is outside the vocabulary 0..<\(vocabularySize)")
        }
        if family == .roberta {
            guard let pad = padTokenID else {
                throw fail(.padTokenID, "RoBERTa needs a pad token id (its position ids start after it)")
            }
            guard pad + 1 < maxPositionEmbeddings else {
                throw fail(
                    .maxPositionEmbeddings, "\(maxPositionEmbeddings) leaves no position after padding_idx \(pad)")
            }
        }
    }
}
