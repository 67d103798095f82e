// Port of transformers src/transformers/models/bert/modeling_bert.py `BertForSequenceClassification` (v4.46.3)
import DetoxNN
import DetoxTensor

/// BERT with its pooler and a linear classifier: `classifier(dropout(pooler(hidden)))`.
///
/// Checkpoint names: `bert.…` (including `bert.pooler.dense`), `classifier.weight`, `classifier.bias`.
public final class BertForSequenceClassification: SequenceClassifier {
    public let configuration: BertConfiguration
    public let bert: BertModel
    public let dropout: Dropout
    public var classifier: any LinearLayer

    /// A randomly initialized model (transformers' `_init_weights`), e.g. to fine-tune from scratch.
    public convenience init(configuration: BertConfiguration, generator: inout SeededGenerator, dropoutSeed: UInt64 = 0)
        throws
    {
        var initializer = BertInitializer.normal(
            std: configuration.initializerRange, generator: generator, dropoutSeed: dropoutSeed)
        try self.init(configuration: configuration, initializer: &initializer)
        if let advanced = initializer.currentGenerator { generator = advanced }
    }

    init(configuration: BertConfiguration, initializer: inout BertInitializer) throws {
        guard configuration.family == .bert else {
            throw ModelError.unsupportedModelType(
                file: "config.json", modelType: configuration.family.rawValue,
                supported: [BertConfiguration.Family.bert.rawValue])
        }
        self.configuration = configuration
        bert = try BertModel(configuration: configuration, pooler: true, initializer: &initializer)
        dropout = initializer.dropout(configuration.effectiveClassifierDropout)
        classifier = initializer.linear(configuration.hiddenSize, configuration.numLabels)
    }

    public var labels: [String] { configuration.labels }

    public var namedChildren: [(name: String, module: any Module)] {
        [("bert", bert), ("dropout", dropout), ("classifier", classifier)]
    }

    /// - Returns: logits `[batch, numLabels]`.
    public func logits(_ batch: ClassifierBatch) throws -> Tensor {
        let (_, pooled) = try bert(batch)
        guard let pooled else { throw ModelError.invalidInput("BERT classifier built without its pooler") }
        return classifier(dropout(pooled)) // [B, numLabels]
    }
}
