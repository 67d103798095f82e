// Port of transformers src/transformers/models/t5/modeling_t5.py (v4.46.3), `T5LayerFF`
import DetoxNN
import DetoxTensor

/// Pre-norm feed-forward sub-layer: `x + dropout(DenseReluDense(layer_norm(x)))`.
public final class T5LayerFF: Module {
    public let denseReluDense: any T5FeedForwardNetwork
    public let layerNorm: RMSNorm
    public let dropout: Dropout

    init(configuration c: T5Configuration, prefix: String, weights: T5WeightProvider) throws {
        denseReluDense =
            c.isGatedActivation
            ? try T5DenseGatedActDense(configuration: c, prefix: "\(prefix).DenseReluDense", weights: weights)
            : try T5DenseActDense(configuration: c, prefix: "\(prefix).DenseReluDense", weights: weights)
        layerNorm = try weights.layerNorm(
            "\(prefix).layer_norm", dimension: c.modelDimension,
            epsilon: c.layerNormEpsilon, factor: c.initializerFactor)
        dropout = weights.dropout(c.dropoutRate)
    }

    public var namedChildren: [(name: String, module: any Module)] {
        [("DenseReluDense", denseReluDense), ("layer_norm", layerNorm), ("dropout", dropout)]
    }

    /// `[..., d_model]` → `[..., d_model]`.
    func callAsFunction(_ hidden: Tensor) -> Tensor {
        hidden + dropout(denseReluDense(layerNorm(hidden)))
    }
}
