import DetoxNN

/// What tells ELECTRA's and RoBERTa's sequence classifiers apart: the family (its `model_type`
/// and checkpoint prefix, `electra.` or `roberta.`) and the head's activation. Everything else —
/// encoder without pooler, first-token head, loading — is ``ClassificationHeadModel``.
public protocol ClassificationHeadFamily {
    /// The family, whose `checkpointPrefix` names the encoder in checkpoints.
    static var family: BertConfiguration.Family { get }
    /// The activation between the head's `dense` and `out_proj`.
    static var headActivation: Activation { get }
}
