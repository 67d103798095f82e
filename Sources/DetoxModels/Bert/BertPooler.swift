// Port of transformers src/transformers/models/bert/modeling_bert.py `BertPooler` (v4.46.3)
import DetoxNN
import DetoxTensor

/// BERT's pooler: `tanh(dense(hidden[:, 0]))`.
public final class BertPooler: SlottedModule {
    public var dense: any LinearLayer

    static let dense = ModuleSlot.linear("dense", \BertPooler.dense)
    public static let slots = [dense]

    init(configuration: BertConfiguration, weights: WeightBuilder) throws {
        dense = try weights.linear(
            Self.dense, inFeatures: configuration.hiddenSize, outFeatures: configuration.hiddenSize, bias: true,
            std: configuration.initializerRange)
    }

    /// `[batch, length, hidden]` → `[batch, hidden]`.
    public func callAsFunction(_ hidden: Tensor) -> Tensor {
        dense(BertModel.firstToken(hidden)).tanh()
    }
}
