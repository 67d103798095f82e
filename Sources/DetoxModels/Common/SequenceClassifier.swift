import DetoxNN
import DetoxTensor

/// A model that maps a batch of token-id rows to one logit per label (transformers'
/// `AutoModelForSequenceClassification`).
///
/// Conformers return raw logits from ``logits(_:)``: differentiable when called with gradients on
/// (fine-tuning, with ``Module/setTraining(_:)`` for dropout), and the extension's
/// ``classify(_:)`` / ``probabilities(_:)`` run in a no-grad scope for inference.
public protocol SequenceClassifier: Module {
    /// Label names in class-id order (`id2label`).
    var labels: [String] { get }
    /// Logits `[batch, labels.count]` for `batch`.
    func logits(_ batch: ClassifierBatch) throws -> Tensor
}

extension SequenceClassifier {
    /// Number of classes.
    public var numLabels: Int { labels.count }

    /// Logits with their labels, computed without recording gradients.
    public func classify(_ batch: ClassifierBatch) throws -> SequenceClassifierOutput {
        let logits = try Tensor.withNoGrad { try self.logits(batch) }
        return SequenceClassifierOutput(logits: logits, labels: labels)
    }

    /// Softmax probabilities of every label for each row, by label name.
    public func probabilities(_ batch: ClassifierBatch) throws -> [[String: Float]] {
        try classify(batch).probabilities()
    }

    /// Softmax probability of the label `labelName` for each row (e.g. `"hate"`, `"offensive"`).
    public func probabilities(_ batch: ClassifierBatch, labelName: String) throws -> [Float] {
        try classify(batch).probabilities(labelName: labelName)
    }
}
