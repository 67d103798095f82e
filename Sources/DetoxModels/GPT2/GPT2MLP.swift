// Port of transformers src/transformers/models/gpt2/modeling_gpt2.py (v4.46.3), `GPT2MLP`
import DetoxNN
import DetoxTensor

/// GPT-2's feed-forward: `dropout(c_proj(act(c_fc(x))))`, both projections ``Conv1D`` slots.
public final class GPT2MLP: SlottedModule {
    public var cFc: any LinearLayer
    public var cProj: any LinearLayer
    public let dropout: Dropout
    public let activation: Activation

    static let cFc = ModuleSlot.linear("c_fc", \GPT2MLP.cFc)
    static let cProj = ModuleSlot.linear("c_proj", \GPT2MLP.cProj)
    static let dropout = ModuleSlot.child("dropout", \GPT2MLP.dropout)
    public static let slots = [cFc, cProj, dropout]

    init(configuration c: GPT2Configuration, weights: WeightBuilder) throws {
        cFc = try weights.conv1D(
            Self.cFc, inFeatures: c.hiddenSize, outFeatures: c.feedForwardSize, std: c.initializerRange)
        cProj = try weights.conv1D(
            Self.cProj, inFeatures: c.feedForwardSize, outFeatures: c.hiddenSize,
            std: c.initializerRange / Float(2 * c.layerCount).squareRoot())
        dropout = weights.dropout(c.residualDropout)
        activation = try c.activation()
    }

    /// `[..., d]` → `[..., d]`.
    func callAsFunction(_ hidden: Tensor) -> Tensor {
        dropout(cProj(activation(cFc(hidden))))
    }
}
