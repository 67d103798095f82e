import DetoxTensor

/// Logits of a sequence classifier with the label names that index them, and their softmax
/// probabilities by label — what `pipeline("text-classification", top_k=None)` and `evaluate`'s
/// `toxicity` read.
public struct SequenceClassifierOutput: Sendable {
    /// `[batch, numLabels]`; carries the autograd graph when computed with gradients on.
    public let logits: Tensor
    /// Label names in class-id order (`id2label`).
    public let labels: [String]

    public init(logits: Tensor, labels: [String]) {
        self.logits = logits
        self.labels = labels
    }

    public var batchSize: Int { logits.shape.first ?? 0 }

    /// Softmax over the labels, `[batch, numLabels]` (float32, as transformers computes it).
    public var probabilityTensor: Tensor { Tensor.withNoGrad { logits.detached().softmax() } }

    /// Each row's probabilities by label name.
    public func probabilities() -> [[String: Float]] {
        let width = labels.count
        let values = probabilityTensor.values
        return (0..<batchSize).map { r in
            Dictionary(
                labels.enumerated().map { ($0.element, values[r * width + $0.offset]) }, uniquingKeysWith: { a, _ in a }
            )
        }
    }

    /// Each row's probability of the label called `labelName` (`evaluate`'s toxicity score with
    /// `toxic_label`).
    ///
    /// - Throws: ``ModelError/invalidInput(_:)`` when no label has that name, as `evaluate` raises
    ///   for a `toxic_label` missing from `id2label`, or when several have it.
    public func probabilities(labelName: String) throws -> [Float] {
        let column = try ClassifierLabels.classIndex(of: labelName, in: labels)
        let width = labels.count
        let values = probabilityTensor.values
        return (0..<batchSize).map { values[$0 * width + column] }
    }

    /// The most likely label of each row.
    public var predictedLabels: [String] { logits.detached().argmax(axis: -1).map { labels[$0] } }
}
