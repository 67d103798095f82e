// Port of transformers src/transformers/models/bert/modeling_bert.py `BertIntermediate` (v4.46.3)
import DetoxNN
import DetoxTensor

/// The feed-forward expansion: `hidden_act(dense(x))`.
public final class BertIntermediate: Module {
    public var dense: any LinearLayer
    public let activation: Activation

    init(configuration: BertConfiguration, activation: Activation, initializer: inout BertInitializer) {
        dense = initializer.linear(configuration.hiddenSize, configuration.intermediateSize)
        self.activation = activation
    }

    public var namedChildren: [(name: String, module: any Module)] { [("dense", dense)] }

    /// `[batch, length, hidden]` → `[batch, length, intermediate]`.
    public func callAsFunction(_ x: Tensor) -> Tensor { activation(dense(x)) }
}
