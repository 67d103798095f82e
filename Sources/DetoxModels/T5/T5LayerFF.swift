// Port of transformers src/transformers/models/t5/modeling_t5.py (v4.46.3), `T5LayerFF`
import DetoxNN
import DetoxTensor

/// Pre-norm feed-forward sub-layer: `x + dropout(DenseReluDense(layer_norm(x)))`.
public final class T5LayerFF: SlottedModule {
    public let denseReluDense: any T5FeedForwardNetwork
    public let layerNorm: RMSNorm
    public let dropout: Dropout

    static let denseReluDense = ModuleSlot<T5LayerFF>.child("DenseReluDense") { $0.denseReluDense }
    static let layerNorm = ModuleSlot.child("layer_norm", \T5LayerFF.layerNorm)
    static let dropout = ModuleSlot.child("dropout", \T5LayerFF.dropout)
    public static let slots = [denseReluDense, layerNorm, dropout]

    init(configuration c: T5Configuration, weights: WeightBuilder) throws {
        let inner = weights.scoped(Self.denseReluDense)
        denseReluDense =
            c.isGatedActivation
            ? try T5DenseGatedActDense(configuration: c, weights: inner)
            : try T5DenseActDense(configuration: c, weights: inner)
        layerNorm = try weights.rmsNorm(
            Self.layerNorm, dimension: c.modelDimension, epsilon: c.layerNormEpsilon,
            initialWeight: c.initializerFactor)
        dropout = weights.dropout(c.dropoutRate)
    }

    /// `[..., d_model]` → `[..., d_model]`.
    func callAsFunction(_ hidden: Tensor) -> Tensor {
        hidden + dropout(denseReluDense(layerNorm(hidden)))
    }
}
