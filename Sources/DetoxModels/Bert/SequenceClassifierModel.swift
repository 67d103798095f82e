// Port of transformers' `AutoModelForSequenceClassification.from_pretrained` for the BERT family,
// with the key handling of src/transformers/modeling_utils.py `_load_pretrained_model` (v4.46.3)
import DetoxNN
import DetoxTensor
import Foundation

/// Loads a BERT, ELECTRA or RoBERTa sequence classifier from a Hugging Face model folder.
///
/// The family comes from `config.json`'s `model_type`; when `architectures` is present it must
/// name that family's `…ForSequenceClassification`. Weights load strictly under their checkpoint
/// names, with two allowances transformers also makes:
/// - the non-persistent buffers `<prefix>.embeddings.position_ids` / `.token_type_ids`, which
///   checkpoints written before transformers 4.31 contain (DaNLP's ELECTRA does), are dropped;
/// - RoBERTa's pooler (`roberta.pooler.dense.*`, present when a checkpoint was saved from a model
///   with one) is dropped: `RobertaForSequenceClassification` has none, and transformers ignores
///   those keys with a warning;
/// and old TensorFlow-style `LayerNorm.gamma` / `.beta` names are read as `.weight` / `.bias`.
/// Anything else missing, extra or of the wrong shape is an error. The model is built straight from
/// the checkpoint's tensors through a `WeightBuilder`; no weight is allocated twice.
public enum SequenceClassifierModel {
    /// The `model_type` values this loader handles.
    public static let supportedModelTypes = BertConfiguration.Family.allCases.map(\.rawValue)

    /// Reads `config.json` and the weights of `folder` and returns the classifier, in evaluation
    /// mode (dropout off).
    ///
    /// - Throws: ``ModelError/unsupportedModelType(file:modelType:supported:)`` for another
    ///   `model_type` or architecture; ``ModelError/missingFile(folder:name:)``;
    ///   ``ModelError/invalidConfiguration(file:key:reason:)``; ``ModelError/missingTensor(source:key:)``
    ///   and ``ModelError/shapeMismatch(source:key:expected:actual:)`` for the weights;
    ///   `NNError.stateMismatch` listing checkpoint keys the model does not have.
    public static func load(folder: URL) throws -> any SequenceClassifier {
        let folder = ModelFolder(folder)
        let file = folder.configURL.path
        let (modelType, architectures) = try folder.modelType()
        guard let family = BertConfiguration.Family(rawValue: modelType) else {
            throw ModelError.unsupportedModelType(file: file, modelType: modelType, supported: supportedModelTypes)
        }
        let configuration = try BertConfiguration(jsonData: try folder.configData(), file: file)
        if let architectures, !architectures.isEmpty,
            !architectures.contains(family.sequenceClassificationArchitecture)
        {
            throw ModelError.unsupportedModelType(
                file: file, modelType: architectures.joined(separator: ", "),
                supported: [family.sequenceClassificationArchitecture])
        }
        let (weights, source) = try folder.weights()
        return try load(configuration: configuration, weights: weights, source: source)
    }

    /// Builds the classifier `configuration` describes straight from `weights` (see the type's
    /// documentation for the keys tolerated). `source` names the weights in errors.
    public static func load(
        configuration: BertConfiguration, weights: [String: Tensor], source: String
    ) throws -> any SequenceClassifier {
        let builder = WeightBuilder(
            checkpoint: normalizedKeys(weights, dropping: toleratedKeys(for: configuration.family)), source: source,
            dropoutSeeds: DropoutSeeds(first: 0))
        let model = try ModelError.building { try make(configuration: configuration, weights: builder) }
        try rejectUnused(builder)
        model.setTraining(false)
        return model
    }

    /// A randomly initialized classifier (transformers' `_init_weights` with `initializer_range`),
    /// e.g. to fine-tune from scratch. Each dropout gets its own seed counting from `dropoutSeed`.
    public static func make(
        configuration: BertConfiguration, generator: inout SeededGenerator, dropoutSeed: UInt64 = 0
    ) throws -> any SequenceClassifier {
        let weights = initializer(configuration, generator: generator, dropoutSeed: dropoutSeed)
        let model = try make(configuration: configuration, weights: weights)
        if let advanced = weights.generator { generator = advanced }
        return model
    }

    /// The builder of a freshly initialised BERT-family model: `_init_weights` draws from
    /// `generator` (linear weights and embeddings ~ N(0, initializer_range²), padding rows,
    /// biases and layer-norm biases zero, layer-norm weights one), dropouts seeded `dropoutSeed`,
    /// `dropoutSeed + 1`, … in build order.
    static func initializer(_ configuration: BertConfiguration, generator: SeededGenerator, dropoutSeed: UInt64)
        -> WeightBuilder
    {
        WeightBuilder(generator: generator, dropoutSeeds: DropoutSeeds(first: dropoutSeed))
    }

    static func make(configuration: BertConfiguration, weights: WeightBuilder) throws -> any SequenceClassifier {
        switch configuration.family {
        case .bert: return try BertForSequenceClassification(configuration: configuration, weights: weights)
        case .electra: return try ElectraForSequenceClassification(configuration: configuration, weights: weights)
        case .roberta: return try RobertaForSequenceClassification(configuration: configuration, weights: weights)
        }
    }

    /// Checkpoint keys a `family` classifier drops without complaint (see the type's documentation).
    public static func toleratedKeys(for family: BertConfiguration.Family) -> Set<String> {
        let prefix = family.checkpointPrefix
        var keys: Set<String> = ["\(prefix).embeddings.position_ids", "\(prefix).embeddings.token_type_ids"]
        if family == .roberta {
            keys.formUnion(["roberta.pooler.dense.weight", "roberta.pooler.dense.bias"])
        }
        return keys
    }

    /// transformers' `_fix_key`: TensorFlow-era `beta` / `gamma` names become `bias` / `weight`.
    static func fixedKey(_ key: String) -> String {
        if key.contains("beta") { return key.replacingOccurrences(of: "beta", with: "bias") }
        if key.contains("gamma") { return key.replacingOccurrences(of: "gamma", with: "weight") }
        return key
    }

    /// `weights` under their fixed keys (``fixedKey(_:)``), without the `dropping` ones; where two
    /// names fix to one key, the first in sorted order wins.
    static func normalizedKeys(_ weights: [String: Tensor], dropping tolerated: Set<String>) -> [String: Tensor] {
        var renamed: [String: Tensor] = [:]
        for name in weights.keys.sorted() {
            guard let value = weights[name] else { continue }
            let key = fixedKey(name)
            if tolerated.contains(key) || renamed[key] != nil { continue }
            renamed[key] = value
        }
        return renamed
    }

    /// Throws `NNError.stateMismatch` listing the checkpoint keys the built model did not use.
    static func rejectUnused(_ weights: WeightBuilder) throws {
        let unexpected = weights.unusedKeys()
        if !unexpected.isEmpty {
            throw NNError.stateMismatch(missing: [], unexpected: unexpected, shapeMismatches: [])
        }
    }
}
