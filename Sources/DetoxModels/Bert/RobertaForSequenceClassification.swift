// Port of transformers src/transformers/models/roberta/modeling_roberta.py `RobertaForSequenceClassification` (v4.46.3)
import DetoxNN
import DetoxTensor

/// RoBERTa (no pooler) with its classification head: `out_proj(tanh(dense(hidden[:, 0])))`.
///
/// Position ids count the non-padding tokens from `pad_token_id + 1`; padding tokens get
/// `pad_token_id`. Checkpoint names: `roberta.embeddings.…`, `roberta.encoder.…`,
/// `classifier.dense.…`, `classifier.out_proj.…`.
public final class RobertaForSequenceClassification: SequenceClassifier {
    public let configuration: BertConfiguration
    public let roberta: BertModel
    public let classifier: ClassificationHead

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
        guard configuration.family == .roberta else {
            throw ModelError.unsupportedModelType(
                file: "config.json", modelType: configuration.family.rawValue,
                supported: [BertConfiguration.Family.roberta.rawValue])
        }
        self.configuration = configuration
        roberta = try BertModel(configuration: configuration, pooler: false, initializer: &initializer)
        classifier = ClassificationHead(configuration: configuration, activation: .tanh, initializer: &initializer)
    }

    public var labels: [String] { configuration.labels }

    public var namedChildren: [(name: String, module: any Module)] {
        [("roberta", roberta), ("classifier", classifier)]
    }

    /// - Returns: logits `[batch, numLabels]`.
    public func logits(_ batch: ClassifierBatch) throws -> Tensor {
        classifier(try roberta(batch).sequence)
    }
}
