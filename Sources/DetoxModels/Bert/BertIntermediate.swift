// Port of transformers src/transformers/models/bert/modeling_bert.py `BertIntermediate` (v4.46.3)
import DetoxNN
import DetoxTensor

/// The feed-forward expansion: `hidden_act(dense(x))`.
public final class BertIntermediate: SlottedModule {
    public var dense: any LinearLayer
    public let activation: Activation

    static let dense = ModuleSlot.linear("dense", \BertIntermediate.dense)
    public static let slots = [dense]

    init(configuration: BertConfiguration, activation: Activation, weights: WeightBuilder) throws {
        dense = try weights.linear(
            Self.dense, inFeatures: configuration.hiddenSize, outFeatures: configuration.intermediateSize, bias: true,
            std: configuration.initializerRange)
        self.activation = activation
    }

    /// `[batch, length, hidden]` → `[batch, length, intermediate]`.
    public func callAsFunction(_ x: Tensor) -> Tensor { activation(dense(x)) }
}
