// Port of transformers src/transformers/models/bert/modeling_bert.py `BertEncoder` (v4.46.3)
import DetoxNN
import DetoxTensor

/// The stack of encoder layers (`encoder.layer.0`, `encoder.layer.1`, …).
public final class BertEncoder: Module {
    public let layers: ModuleList<BertLayer>

    init(configuration: BertConfiguration, activation: Activation, initializer: inout BertInitializer) {
        var built: [BertLayer] = []
        for _ in 0..<configuration.hiddenLayers {
            built.append(BertLayer(configuration: configuration, activation: activation, initializer: &initializer))
        }
        layers = ModuleList(built)
    }

    public var namedChildren: [(name: String, module: any Module)] { [("layer", layers)] }

    /// `[batch, length, hidden]` → `[batch, length, hidden]`.
    public func callAsFunction(_ x: Tensor, mask: Tensor?) -> Tensor {
        var hidden = x
        for layer in layers.modules { hidden = layer(hidden, mask: mask) }
        return hidden
    }
}
