// Port of transformers src/transformers/models/electra/modeling_electra.py `ElectraForSequenceClassification` (v4.46.3)
import DetoxNN
import DetoxTensor

/// ELECTRA (discriminator) with its classification head: `out_proj(gelu(dense(hidden[:, 0])))`.
///
/// Checkpoint names: `electra.embeddings.…` (tables `embedding_size` wide),
/// `electra.embeddings_project.…` when `embedding_size != hidden_size`, `electra.encoder.…`,
/// `classifier.dense.…`, `classifier.out_proj.…`. There is no pooler.
public final class ElectraForSequenceClassification: SequenceClassifier {
    public let configuration: BertConfiguration
    public let electra: BertModel
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
        guard configuration.family == .electra else {
            throw ModelError.unsupportedModelType(
                file: "config.json", modelType: configuration.family.rawValue,
                supported: [BertConfiguration.Family.electra.rawValue])
        }
        self.configuration = configuration
        electra = try BertModel(configuration: configuration, pooler: false, initializer: &initializer)
        classifier = ClassificationHead(configuration: configuration, activation: .gelu, initializer: &initializer)
    }

    public var labels: [String] { configuration.labels }

    public var namedChildren: [(name: String, module: any Module)] {
        [("electra", electra), ("classifier", classifier)]
    }

    /// - Returns: logits `[batch, numLabels]`.
    public func logits(_ batch: ClassifierBatch) throws -> Tensor {
        classifier(try electra(batch).sequence)
    }
}
