// Port of transformers src/transformers/models/t5/modeling_t5.py (v4.46.3), `T5DenseGatedActDense`
import DetoxNN
import DetoxTensor

/// `wo(dropout(act(wi_0(x)) · wi_1(x)))`: the gated feed-forward of T5 v1.1 and flan-t5
/// (`feed_forward_proj = "gated-gelu"`, activation `gelu_new`).
public final class T5DenseGatedActDense: T5FeedForwardNetwork, SlottedModule {
    public var wi0: any LinearLayer
    public var wi1: any LinearLayer
    public var wo: any LinearLayer
    public let activation: Activation
    public let dropout: Dropout

    static let wi0 = ModuleSlot.linear("wi_0", \T5DenseGatedActDense.wi0)
    static let wi1 = ModuleSlot.linear("wi_1", \T5DenseGatedActDense.wi1)
    static let wo = ModuleSlot.linear("wo", \T5DenseGatedActDense.wo)
    static let dropout = ModuleSlot.child("dropout", \T5DenseGatedActDense.dropout)
    public static let slots = [wi0, wi1, wo, dropout]

    init(configuration c: T5Configuration, weights: WeightBuilder) throws {
        let factor = c.initializerFactor
        let inStd = factor / Float(c.modelDimension).squareRoot()
        wi0 = try weights.linear(
            Self.wi0, inFeatures: c.modelDimension, outFeatures: c.feedForwardDimension, bias: false, std: inStd)
        wi1 = try weights.linear(
            Self.wi1, inFeatures: c.modelDimension, outFeatures: c.feedForwardDimension, bias: false, std: inStd)
        wo = try weights.linear(
            Self.wo, inFeatures: c.feedForwardDimension, outFeatures: c.modelDimension, bias: false,
            std: factor / Float(c.feedForwardDimension).squareRoot())
        activation = try c.activation()
        dropout = weights.dropout(c.dropoutRate)
    }

    /// `[..., d_model]` → `[..., d_model]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        wo(dropout(activation(wi0(x)) * wi1(x)))
    }
}
