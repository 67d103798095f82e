// Port of transformers src/transformers/models/gpt2/modeling_gpt2.py (v4.46.3), `GPT2MLP`, and
// models/gpt_neo/modeling_gpt_neo.py, `GPTNeoMLP`
import DetoxNN
import DetoxTensor

/// The feed-forward of GPT-2 and GPT-Neo: `dropout(c_proj(act(c_fc(x))))`, both projections linear
/// slots — ``Conv1D`` layers in GPT-2, `nn.Linear` in GPT-Neo
/// (``GPTFamilyConfiguration/feedForwardIsConv1D``).
public final class GPTMLP: SlottedModule {
    public var cFc: any LinearLayer
    public var cProj: any LinearLayer
    public let dropout: Dropout
    public let activation: Activation

    static let cFc = ModuleSlot.linear("c_fc", \GPTMLP.cFc)
    static let cProj = ModuleSlot.linear("c_proj", \GPTMLP.cProj)
    static let dropout = ModuleSlot.child("dropout", \GPTMLP.dropout)
    public static let slots = [cFc, cProj, dropout]

    init<Configuration: GPTFamilyConfiguration>(configuration c: Configuration, weights: WeightBuilder) throws {
        func projection(_ slot: ModuleSlot<GPTMLP>, _ inFeatures: Int, _ outFeatures: Int, std: Float) throws
            -> any LinearLayer
        {
            if Configuration.feedForwardIsConv1D {
                return try weights.conv1D(slot, inFeatures: inFeatures, outFeatures: outFeatures, std: std)
            }
            return try weights.linear(slot, inFeatures: inFeatures, outFeatures: outFeatures, bias: true, std: std)
        }
        cFc = try projection(Self.cFc, c.hiddenSize, c.feedForwardSize, std: c.initializerRange)
        cProj = try projection(Self.cProj, c.feedForwardSize, c.hiddenSize, std: c.residualProjectionStd)
        dropout = weights.dropout(c.residualDropout)
        activation = try c.activation()
    }

    /// `[..., d]` → `[..., d]`.
    func callAsFunction(_ hidden: Tensor) -> Tensor {
        dropout(cProj(activation(cFc(hidden))))
    }
}

/// GPT-2's feed-forward.
public typealias GPT2MLP = GPTMLP
