// Port of transformers src/transformers/models/t5/modeling_t5.py (v4.46.3), `T5DenseActDense`
import DetoxNN
import DetoxTensor

/// `wo(dropout(act(wi(x))))` with bias-free `wi` `[d_ff, d_model]` and `wo` `[d_model, d_ff]`.
public final class T5DenseActDense: T5FeedForwardNetwork, T5LinearSlots {
    public var wi: any LinearLayer
    public var wo: any LinearLayer
    public let activation: Activation
    public let dropout: Dropout

    init(configuration c: T5Configuration, prefix: String, weights: T5WeightProvider) throws {
        let factor = c.initializerFactor
        wi = try weights.linear(
            "\(prefix).wi", inFeatures: c.modelDimension, outFeatures: c.feedForwardDimension,
            std: factor / Float(c.modelDimension).squareRoot())
        wo = try weights.linear(
            "\(prefix).wo", inFeatures: c.feedForwardDimension, outFeatures: c.modelDimension,
            std: factor / Float(c.feedForwardDimension).squareRoot())
        activation = try c.activation()
        dropout = weights.dropout(c.dropoutRate)
    }

    public var namedChildren: [(name: String, module: any Module)] { [("wi", wi), ("wo", wo), ("dropout", dropout)] }

    /// `[..., d_model]` → `[..., d_model]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        wo(dropout(activation(wi(x))))
    }

    var linearSlotNames: [String] { ["wi", "wo"] }

    func setLinearSlot(_ name: String, _ layer: any LinearLayer) {
        switch name {
        case "wi": wi = layer
        case "wo": wo = layer
        default: break
        }
    }
}
