import DetoxNN

/// ELECTRA (discriminator) with its classification head: `out_proj(gelu(dense(hidden[:, 0])))`,
/// exact GELU as `get_activation("gelu")`. The encoder is `electra.` in checkpoints, with
/// `embeddings_project` when `embedding_size != hidden_size` and no pooler.
public typealias ElectraForSequenceClassification = ClassificationHeadModel<ElectraHeadFamily>

/// ELECTRA's ``ClassificationHeadFamily``: checkpoint prefix `electra`, GELU in the head.
public enum ElectraHeadFamily: ClassificationHeadFamily {
    public static var family: BertConfiguration.Family { .electra }
    public static var headActivation: Activation { .gelu }
}

extension ClassificationHeadModel where Family == ElectraHeadFamily {
    /// The encoder under its checkpoint name.
    public var electra: BertModel { encoder }
}
