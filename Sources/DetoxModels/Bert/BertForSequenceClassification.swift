// Port of transformers src/transformers/models/bert/modeling_bert.py `BertForSequenceClassification` (v4.46.3)
import DetoxNN
import DetoxTensor

/// BERT with its pooler and a linear classifier: `classifier(dropout(pooler(hidden)))`.
///
/// Checkpoint names: `bert.…` (including `bert.pooler.dense`), `classifier.weight`, `classifier.bias`.
public final class BertForSequenceClassification: SequenceClassifier, SlottedModule {
    public let configuration: BertConfiguration
    public let bert: BertModel
    public let dropout: Dropout
    public var classifier: any LinearLayer

    static let bert = ModuleSlot.child("bert", \BertForSequenceClassification.bert)
    static let dropout = ModuleSlot.child("dropout", \BertForSequenceClassification.dropout)
    static let classifier = ModuleSlot.linear("classifier", \BertForSequenceClassification.classifier)
    public static let slots = [bert, dropout, classifier]

    /// A randomly initialized model (transformers' `_init_weights`), e.g. to fine-tune from scratch.
    public convenience init(configuration: BertConfiguration, generator: inout SeededGenerator, dropoutSeed: UInt64 = 0)
        throws
    {
        let weights = SequenceClassifierModel.initializer(configuration, generator: generator, dropoutSeed: dropoutSeed)
        try self.init(configuration: configuration, weights: weights)
        if let advanced = weights.generator { generator = advanced }
    }

    /// Builds the classifier from `weights` (a checkpoint or an initializer, at the root scope).
    init(configuration: BertConfiguration, weights: WeightBuilder) throws {
        guard configuration.family == .bert else {
            throw ModelError.unsupportedModelType(
                file: "config.json", modelType: configuration.family.rawValue,
                supported: [BertConfiguration.Family.bert.rawValue])
        }
        self.configuration = configuration
        bert = try BertModel(configuration: configuration, pooler: true, weights: weights.scoped(Self.bert))
        dropout = weights.dropout(configuration.effectiveClassifierDropout)
        classifier = try weights.linear(
            Self.classifier, inFeatures: configuration.hiddenSize, outFeatures: configuration.numLabels, bias: true,
            std: configuration.initializerRange)
    }

    public var labels: [String] { configuration.labels }

    /// - Returns: logits `[batch, numLabels]`.
    public func logits(_ batch: ClassifierBatch) throws -> Tensor {
        let (_, pooled) = try bert(batch)
        guard let pooled else { throw ModelError.invalidInput("BERT classifier built without its pooler") }
        return classifier(dropout(pooled)) // [B, numLabels]
    }
}
