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

    /// The class id of the label spelled exactly `name` (`label2id[name]`, which the
    /// configuration checks against `id2label`).
    ///
    /// - Throws: ``ModelError/invalidInput(_:)`` listing the labels when no class, or more than
    ///   one, has that name (never a guess such as class 0).
    public func classIndex(of name: String) throws -> Int {
        try ClassifierLabels.classIndex(of: name, in: labels)
    }
}

/// Label lookup shared by classifiers and their outputs.
public enum ClassifierLabels {
    /// The index of the one entry of `labels` (names in class-id order) spelled exactly `name`.
    ///
    /// - Throws: ``ModelError/invalidInput(_:)`` listing the labels when none, or more than one,
    ///   is spelled so.
    public static func classIndex(of name: String, in labels: [String]) throws -> Int {
        let matches = labels.indices.filter { labels[$0] == name }
        let listing = labels.enumerated().map { "\($0.offset): \($0.element)" }.joined(separator: ", ")
        guard let first = matches.first else {
            throw ModelError.invalidInput("label \"\(name)\" is not one of the classifier's labels (\(listing))")
        }
        guard matches.count == 1 else {
            throw ModelError.invalidInput(
                "label \"\(name)\" names \(matches.count) classes of the classifier (\(listing)); it is ambiguous")
        }
        return first
    }
}

extension SequenceClassifier {
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
