// Port of rouge-score 0.1.2 `rouge_score/scoring.py` (`Score`, `fmeasure`).

/// Precision, recall and F-measure of one ROUGE type (rouge-score's `Score` tuple).
public struct RougeScore: Hashable, Sendable, CustomStringConvertible {
    /// Matches over the prediction's length (n-grams or tokens).
    public var precision: Double
    /// Matches over the target's length.
    public var recall: Double
    /// Harmonic mean `2·P·R / (P + R)`, or 0 when `P + R` is 0.
    public var fmeasure: Double

    /// A score with all three fields given (an average, for instance, whose F is not the F of its
    /// P and R).
    public init(precision: Double, recall: Double, fmeasure: Double) {
        self.precision = precision
        self.recall = recall
        self.fmeasure = fmeasure
    }

    /// A score whose F-measure is computed from `precision` and `recall` as rouge-score does.
    public init(precision: Double, recall: Double) {
        self.init(precision: precision, recall: recall, fmeasure: Self.fmeasure(precision: precision, recall: recall))
    }

    /// All zero (rouge-score's score when either side has nothing to match).
    public static let zero = RougeScore(precision: 0, recall: 0, fmeasure: 0)

    /// rouge-score `scoring.fmeasure`: `2 * precision * recall / (precision + recall)` if
    /// `precision + recall > 0`, else 0 (same operation order, so the same bits).
    public static func fmeasure(precision: Double, recall: Double) -> Double {
        precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
    }

    public var description: String {
        "RougeScore(precision: \(precision), recall: \(recall), fmeasure: \(fmeasure))"
    }
}
