// Port of transformers src/transformers/models/t5/modeling_t5.py (v4.46.3), `T5DenseGatedActDense`
import DetoxNN
import DetoxTensor

/// `wo(dropout(act(wi_0(x)) · wi_1(x)))`: the gated feed-forward of T5 v1.1 and flan-t5
/// (`feed_forward_proj = "gated-gelu"`, activation `gelu_new`).
public final class T5DenseGatedActDense: T5FeedForwardNetwork, T5LinearSlots {
    public var wi0: any LinearLayer
    public var wi1: any LinearLayer
    public var wo: any LinearLayer
    public let activation: Activation
    public let dropout: Dropout

    init(configuration c: T5Configuration, prefix: String, weights: T5WeightProvider) throws {
        let factor = c.initializerFactor
        let inStd = factor / Float(c.modelDimension).squareRoot()
        wi0 = try weights.linear(
            "\(prefix).wi_0", inFeatures: c.modelDimension, outFeatures: c.feedForwardDimension, std: inStd)
        wi1 = try weights.linear(
            "\(prefix).wi_1", inFeatures: c.modelDimension, outFeatures: c.feedForwardDimension, std: inStd)
        wo = try weights.linear(
            "\(prefix).wo", inFeatures: c.feedForwardDimension, outFeatures: c.modelDimension,
            std: factor / Float(c.feedForwardDimension).squareRoot())
        activation = try c.activation()
        dropout = weights.dropout(c.dropoutRate)
    }

    public var namedChildren: [(name: String, module: any Module)] {
        [("wi_0", wi0), ("wi_1", wi1), ("wo", wo), ("dropout", dropout)]
    }

    /// `[..., d_model]` → `[..., d_model]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        wo(dropout(activation(wi0(x)) * wi1(x)))
    }

    var linearSlotNames: [String] { ["wi_0", "wi_1", "wo"] }

    func setLinearSlot(_ name: String, _ layer: any LinearLayer) {
        switch name {
        case "wi_0": wi0 = layer
        case "wi_1": wi1 = layer
        case "wo": wo = layer
        default: break
        }
    }
}
