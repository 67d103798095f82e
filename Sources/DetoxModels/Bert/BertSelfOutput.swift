// Port of transformers src/transformers/models/bert/modeling_bert.py `BertSelfOutput` (v4.46.3)
import DetoxNN
import DetoxTensor

/// The attention output projection with dropout, residual and post-LayerNorm.
public final class BertSelfOutput: Module {
    public var dense: any LinearLayer
    public let layerNorm: LayerNorm
    public let dropout: Dropout

    init(configuration: BertConfiguration, initializer: inout BertInitializer) {
        dense = initializer.linear(configuration.hiddenSize, configuration.hiddenSize)
        layerNorm = LayerNorm(dimension: configuration.hiddenSize, epsilon: configuration.layerNormEpsilon)
        dropout = initializer.dropout(configuration.hiddenDropout)
    }

    public var namedChildren: [(name: String, module: any Module)] {
        [("dense", dense), ("LayerNorm", layerNorm), ("dropout", dropout)]
    }

    /// `LayerNorm(dropout(dense(x)) + residual)`; all `[batch, length, hidden]`.
    public func callAsFunction(_ x: Tensor, residual: Tensor) -> Tensor {
        layerNorm(dropout(dense(x)) + residual)
    }
}
