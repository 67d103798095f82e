import DetoxTensor

/// How a ``WeightBuilder`` fills a weight that no checkpoint supplies.
///
/// The model says, per weight, what transformers' `_init_weights` would draw, so the same code
/// path builds a loaded model and a freshly initialised one.
public enum WeightInitialization: Sendable, Equatable {
    /// `N(0, std²)`, drawn from the builder's seeded generator.
    case normal(std: Float)
    /// Every value `value` (norm weights, biases); draws nothing.
    case constant(Float)

    /// All zeros.
    public static let zeros = WeightInitialization.constant(0)
    /// All ones.
    public static let ones = WeightInitialization.constant(1)
}
