// Port of transformers src/transformers/models/electra/modeling_electra.py `ElectraForSequenceClassification`
// and models/roberta/modeling_roberta.py `RobertaForSequenceClassification` (v4.46.3)
import DetoxNN
import DetoxTensor

/// An encoder without pooler and a first-token classification head:
/// `out_proj(act(dense(hidden[:, 0])))` — ELECTRA's and RoBERTa's sequence classifiers, which
/// differ only in the encoder's checkpoint name and the head's activation (``ClassificationHeadFamily``).
///
/// Checkpoint names: `<prefix>.embeddings.…`, ELECTRA's `electra.embeddings_project.…` when
/// `embedding_size != hidden_size`, `<prefix>.encoder.…`, `classifier.dense.…`,
/// `classifier.out_proj.…`. Use it as ``ElectraForSequenceClassification`` or
/// ``RobertaForSequenceClassification``.
public final class ClassificationHeadModel<Family: ClassificationHeadFamily>: SequenceClassifier, SlottedModule {
    public let configuration: BertConfiguration
    /// The encoder (`electra` or `roberta` in checkpoints).
    public let encoder: BertModel
    public let classifier: ClassificationHead

    static var encoderSlot: ModuleSlot<ClassificationHeadModel> {
        .child(Family.family.checkpointPrefix, \ClassificationHeadModel.encoder)
    }
    static var classifierSlot: ModuleSlot<ClassificationHeadModel> {
        .child("classifier", \ClassificationHeadModel.classifier)
    }
    public static var slots: [ModuleSlot<ClassificationHeadModel>] { [encoderSlot, classifierSlot] }

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
        guard configuration.family == Family.family else {
            throw ModelError.unsupportedModelType(
                file: "config.json", modelType: configuration.family.rawValue, supported: [Family.family.rawValue])
        }
        self.configuration = configuration
        encoder = try BertModel(configuration: configuration, pooler: false, weights: weights.scoped(Self.encoderSlot))
        classifier = try ClassificationHead(
            configuration: configuration, activation: Family.headActivation,
            weights: weights.scoped(Self.classifierSlot))
    }

    public var labels: [String] { configuration.labels }

    /// - Returns: logits `[batch, numLabels]`.
    public func logits(_ batch: ClassifierBatch) throws -> Tensor {
        classifier(try encoder(batch).sequence)
    }
}
