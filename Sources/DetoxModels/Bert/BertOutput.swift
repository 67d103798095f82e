// Port of transformers src/transformers/models/bert/modeling_bert.py `BertOutput` (v4.46.3)
import DetoxNN
import DetoxTensor

/// The feed-forward contraction with dropout, residual and post-LayerNorm.
public final class BertOutput: SlottedModule {
    public var dense: any LinearLayer
    public let layerNorm: LayerNorm
    public let dropout: Dropout

    static let dense = ModuleSlot.linear("dense", \BertOutput.dense)
    static let layerNorm = ModuleSlot.child("LayerNorm", \BertOutput.layerNorm)
    static let dropout = ModuleSlot.child("dropout", \BertOutput.dropout)
    public static let slots = [dense, layerNorm, dropout]

    init(configuration: BertConfiguration, weights: WeightBuilder) throws {
        dense = try weights.linear(
            Self.dense, inFeatures: configuration.intermediateSize, outFeatures: configuration.hiddenSize, bias: true,
            std: configuration.initializerRange)
        layerNorm = try weights.layerNorm(
            Self.layerNorm, dimension: configuration.hiddenSize, epsilon: configuration.layerNormEpsilon)
        dropout = weights.dropout(configuration.hiddenDropout)
    }

    /// `LayerNorm(dropout(dense(x)) + residual)`: `[batch, length, intermediate]` → `[batch, length, hidden]`.
    public func callAsFunction(_ x: Tensor, residual: Tensor) -> Tensor {
        layerNorm(dropout(dense(x)) + residual)
    }
}
