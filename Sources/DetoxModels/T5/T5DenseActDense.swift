// Port of transformers src/transformers/models/t5/modeling_t5.py (v4.46.3), `T5DenseActDense`
import DetoxNN
import DetoxTensor

/// `wo(dropout(act(wi(x))))` with bias-free `wi` `[d_ff, d_model]` and `wo` `[d_model, d_ff]`.
public final class T5DenseActDense: T5FeedForwardNetwork, SlottedModule {
    public var wi: any LinearLayer
    public var wo: any LinearLayer
    public let activation: Activation
    public let dropout: Dropout

    static let wi = ModuleSlot.linear("wi", \T5DenseActDense.wi)
    static let wo = ModuleSlot.linear("wo", \T5DenseActDense.wo)
    static let dropout = ModuleSlot.child("dropout", \T5DenseActDense.dropout)
    public static let slots = [wi, wo, dropout]

    init(configuration c: T5Configuration, weights: WeightBuilder) throws {
        let factor = c.initializerFactor
        wi = try weights.linear(
            Self.wi, inFeatures: c.modelDimension, outFeatures: c.feedForwardDimension, bias: false,
            std: factor / Float(c.modelDimension).squareRoot())
        wo = try weights.linear(
            Self.wo, inFeatures: c.feedForwardDimension, outFeatures: c.modelDimension, bias: false,
            std: factor / Float(c.feedForwardDimension).squareRoot())
        activation = try c.activation()
        dropout = weights.dropout(c.dropoutRate)
    }

    /// `[..., d_model]` → `[..., d_model]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        wo(dropout(activation(wi(x))))
    }
}
