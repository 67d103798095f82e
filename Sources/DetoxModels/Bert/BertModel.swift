// Port of transformers src/transformers/models/bert/modeling_bert.py `BertModel`,
// models/electra/modeling_electra.py `ElectraModel` and models/roberta/modeling_roberta.py
// `RobertaModel` (v4.46.3)
import DetoxNN
import DetoxTensor

/// The encoder shared by the three families: embeddings, (ELECTRA) `embeddings_project`, the
/// layer stack and (BERT) the pooler.
///
/// - BERT: `BertModel` with its pooler.
/// - ELECTRA: `ElectraModel`; `embeddings_project` maps `embedding_size` to `hidden_size` when
///   they differ, and there is no pooler.
/// - RoBERTa: `RobertaModel(add_pooling_layer=False)`; positions start after the padding index.
///
/// The attention mask becomes the additive `(1 − mask) · finfo(float32).min`, broadcast over
/// heads and query positions, as `get_extended_attention_mask` builds it.
public final class BertModel: SlottedModule {
    public let configuration: BertConfiguration
    public let embeddings: BertEmbeddings
    /// ELECTRA's `embeddings_project`, present only when `embedding_size != hidden_size`.
    public var embeddingsProject: (any LinearLayer)?
    public let encoder: BertEncoder
    public let pooler: BertPooler?

    static let embeddings = ModuleSlot.child("embeddings", \BertModel.embeddings)
    static let embeddingsProject = ModuleSlot.linear("embeddings_project", \BertModel.embeddingsProject)
    static let encoder = ModuleSlot.child("encoder", \BertModel.encoder)
    static let pooler = ModuleSlot.child("pooler", \BertModel.pooler)
    public static let slots = [embeddings, embeddingsProject, encoder, pooler]

    /// Builds the encoder from `weights` (scoped at the encoder: `embeddings.…` below it).
    init(configuration: BertConfiguration, pooler withPooler: Bool, weights: WeightBuilder) throws {
        try configuration.validate()
        let activation = try configuration.activation()
        self.configuration = configuration
        embeddings = try BertEmbeddings(configuration: configuration, weights: weights.scoped(Self.embeddings))
        embeddingsProject =
            configuration.embeddingSize == configuration.hiddenSize
            ? nil
            : try weights.linear(
                Self.embeddingsProject, inFeatures: configuration.embeddingSize,
                outFeatures: configuration.hiddenSize, bias: true, std: configuration.initializerRange)
        encoder = try BertEncoder(
            configuration: configuration, activation: activation, weights: weights.scoped(Self.encoder))
        pooler =
            withPooler ? try BertPooler(configuration: configuration, weights: weights.scoped(Self.pooler)) : nil
    }

    /// Whether a checkpoint scoped by `weights` holds a pooler (`pooler.dense.weight`).
    static func hasPooler(_ weights: WeightBuilder) -> Bool {
        weights.scoped(pooler).scoped(BertPooler.dense).contains("weight")
    }

    /// The additive attention mask `[batch, 1, 1, length]`, or `nil` when nothing is masked
    /// (adding zeros changes nothing).
    public static func extendedAttentionMask(_ batch: ClassifierBatch) -> Tensor? {
        if batch.isUnmasked { return nil }
        let minimum = -Float.greatestFiniteMagnitude // torch.finfo(torch.float32).min
        let mask = batch.attentionMask.flatMap { $0 }
        return Tensor.build(shape: [batch.batchSize, 1, 1, batch.sequenceLength]) { out, n in
            for i in 0..<n { out[i] = (1 - Float(mask[i])) * minimum }
        }
    }

    /// The hidden state of each row's first token: `[batch, length, hidden]` → `[batch, hidden]`.
    public static func firstToken(_ hidden: Tensor) -> Tensor {
        hidden.slice(axis: 1, 0..<1).reshaped([hidden.shape[0], hidden.shape[2]])
    }

    /// - Returns: `sequence` `[batch, length, hidden]` and, with a pooler, `pooled` `[batch, hidden]`.
    public func callAsFunction(_ batch: ClassifierBatch) throws -> (sequence: Tensor, pooled: Tensor?) {
        var hidden = try embeddings(batch) // [B, L, E]
        if let embeddingsProject { hidden = embeddingsProject(hidden) } // [B, L, H]
        hidden = encoder(hidden, mask: BertModel.extendedAttentionMask(batch)) // [B, L, H]
        return (hidden, pooler.map { $0(hidden) })
    }
}
