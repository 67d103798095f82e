// Port of transformers src/transformers/models/bert/modeling_bert.py `BertEncoder` (v4.46.3)
import DetoxNN
import DetoxTensor

/// The stack of encoder layers (`encoder.layer.0`, `encoder.layer.1`, …).
public final class BertEncoder: SlottedModule {
    public let layers: ModuleList<BertLayer>

    static let layers = ModuleSlot.child("layer", \BertEncoder.layers)
    public static let slots = [layers]

    init(configuration: BertConfiguration, activation: Activation, weights: WeightBuilder) throws {
        let layerWeights = weights.scoped(Self.layers)
        var built: [BertLayer] = []
        for i in 0..<configuration.hiddenLayers {
            built.append(
                try BertLayer(
                    configuration: configuration, activation: activation, weights: layerWeights.scoped(String(i))))
        }
        layers = ModuleList(built)
    }

    /// `[batch, length, hidden]` → `[batch, length, hidden]`.
    public func callAsFunction(_ x: Tensor, mask: Tensor?) -> Tensor {
        var hidden = x
        for layer in layers.modules { hidden = layer(hidden, mask: mask) }
        return hidden
    }
}
