// Port of transformers src/transformers/models/electra/modeling_electra.py `ElectraClassificationHead`
// and models/roberta/modeling_roberta.py `RobertaClassificationHead` (v4.46.3)
import DetoxNN
import DetoxTensor

/// The sentence-level head of ELECTRA and RoBERTa: first token → dropout → `dense` → activation →
/// dropout → `out_proj`. ELECTRA's activation is exact GELU (`get_activation("gelu")`), RoBERTa's
/// is tanh.
public final class ClassificationHead: SlottedModule {
    public var dense: any LinearLayer
    public var outProj: any LinearLayer
    public let dropout: Dropout
    public let activation: Activation

    static let dense = ModuleSlot.linear("dense", \ClassificationHead.dense)
    static let dropout = ModuleSlot.child("dropout", \ClassificationHead.dropout)
    static let outProj = ModuleSlot.linear("out_proj", \ClassificationHead.outProj)
    public static let slots = [dense, dropout, outProj]

    init(configuration: BertConfiguration, activation: Activation, weights: WeightBuilder) throws {
        let std = configuration.initializerRange
        dense = try weights.linear(
            Self.dense, inFeatures: configuration.hiddenSize, outFeatures: configuration.hiddenSize, bias: true,
            std: std)
        dropout = weights.dropout(configuration.effectiveClassifierDropout)
        outProj = try weights.linear(
            Self.outProj, inFeatures: configuration.hiddenSize, outFeatures: configuration.numLabels, bias: true,
            std: std)
        self.activation = activation
    }

    /// `[batch, length, hidden]` → logits `[batch, numLabels]`.
    public func callAsFunction(_ hidden: Tensor) -> Tensor {
        let first = dropout(BertModel.firstToken(hidden)) // [B, H]
        return outProj(dropout(activation(dense(first)))) // [B, numLabels]
    }
}
