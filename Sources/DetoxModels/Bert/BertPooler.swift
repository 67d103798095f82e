// Port of transformers src/transformers/models/bert/modeling_bert.py `BertPooler` (v4.46.3)
import DetoxNN
import DetoxTensor

/// BERT's pooler: `tanh(dense(hidden[:, 0]))`.
public final class BertPooler: Module {
    public var dense: any LinearLayer

    init(configuration: BertConfiguration, initializer: inout BertInitializer) {
        dense = initializer.linear(configuration.hiddenSize, configuration.hiddenSize)
    }

    public var namedChildren: [(name: String, module: any Module)] { [("dense", dense)] }

    /// `[batch, length, hidden]` → `[batch, hidden]`.
    public func callAsFunction(_ hidden: Tensor) -> Tensor {
        dense(BertModel.firstToken(hidden)).tanh()
    }
}
