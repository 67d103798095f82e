import DetoxNN

/// RoBERTa (no pooler) with its classification head: `out_proj(tanh(dense(hidden[:, 0])))`.
/// Position ids count the non-padding tokens from `pad_token_id + 1`; padding tokens get
/// `pad_token_id`. The encoder is `roberta.` in checkpoints.
public typealias RobertaForSequenceClassification = ClassificationHeadModel<RobertaHeadFamily>

/// RoBERTa's ``ClassificationHeadFamily``: checkpoint prefix `roberta`, tanh in the head.
public enum RobertaHeadFamily: ClassificationHeadFamily {
    public static var family: BertConfiguration.Family { .roberta }
    public static var headActivation: Activation { .tanh }
}

extension ClassificationHeadModel where Family == RobertaHeadFamily {
    /// The encoder under its checkpoint name.
    public var roberta: BertModel { encoder }
}
