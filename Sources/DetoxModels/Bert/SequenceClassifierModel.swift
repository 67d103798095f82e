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
/// Anything else missing, extra or of the wrong shape is an error.
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

    /// Builds the classifier `configuration` describes and loads `weights` into it (see the type's
    /// documentation for the keys tolerated). `source` names the weights in errors.
    public static func load(
        configuration: BertConfiguration, weights: [String: Tensor], source: String
    ) throws -> any SequenceClassifier {
        var initializer = BertInitializer.zeros(dropoutSeed: 0)
        let model = try make(configuration: configuration, initializer: &initializer)
        try loadStrictly(model, family: configuration.family, weights: weights, source: source)
        model.setTraining(false)
        return model
    }

    /// A randomly initialized classifier (transformers' `_init_weights` with `initializer_range`),
    /// e.g. to fine-tune from scratch. Each dropout gets its own seed counting from `dropoutSeed`.
    public static func make(
        configuration: BertConfiguration, generator: inout SeededGenerator, dropoutSeed: UInt64 = 0
    ) throws -> any SequenceClassifier {
        var initializer = BertInitializer.normal(
            std: configuration.initializerRange, generator: generator, dropoutSeed: dropoutSeed)
        let model = try make(configuration: configuration, initializer: &initializer)
        if let advanced = initializer.currentGenerator { generator = advanced }
        return model
    }

    static func make(configuration: BertConfiguration, initializer: inout BertInitializer) throws
        -> any SequenceClassifier
    {
        switch configuration.family {
        case .bert: return try BertForSequenceClassification(configuration: configuration, initializer: &initializer)
        case .electra:
            return try ElectraForSequenceClassification(configuration: configuration, initializer: &initializer)
        case .roberta:
            return try RobertaForSequenceClassification(configuration: configuration, initializer: &initializer)
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

    static func loadStrictly(
        _ model: any SequenceClassifier, family: BertConfiguration.Family, weights: [String: Tensor], source: String
    ) throws {
        let tolerated = toleratedKeys(for: family)
        var renamed: [String: Tensor] = [:]
        for name in weights.keys.sorted() {
            guard let value = weights[name] else { continue }
            let key = fixedKey(name)
            if tolerated.contains(key) || renamed[key] != nil { continue }
            renamed[key] = value
        }
        let parameters = model.parameters()
        for (name, _) in parameters where renamed[name] == nil {
            throw ModelError.missingTensor(source: source, key: name)
        }
        for (name, parameter) in parameters {
            if let value = renamed[name], value.shape != parameter.shape {
                throw ModelError.shapeMismatch(
                    source: source, key: name, expected: parameter.shape, actual: value.shape)
            }
        }
        let known = Set(parameters.map(\.name))
        let unexpected = renamed.keys.filter { !known.contains($0) }.sorted()
        if !unexpected.isEmpty {
            throw NNError.stateMismatch(missing: [], unexpected: unexpected, shapeMismatches: [])
        }
        try model.load(renamed, strict: true)
    }
}
