// Port of transformers src/transformers/models/electra/modeling_electra.py `ElectraClassificationHead`
// and models/roberta/modeling_roberta.py `RobertaClassificationHead` (v4.46.3)
import DetoxNN
import DetoxTensor

/// The sentence-level head of ELECTRA and RoBERTa: first token → dropout → `dense` → activation →
/// dropout → `out_proj`. ELECTRA's activation is exact GELU (`get_activation("gelu")`), RoBERTa's
/// is tanh.
public final class ClassificationHead: Module {
    public var dense: any LinearLayer
    public var outProj: any LinearLayer
    public let dropout: Dropout
    public let activation: Activation

    init(configuration: BertConfiguration, activation: Activation, initializer: inout BertInitializer) {
        dense = initializer.linear(configuration.hiddenSize, configuration.hiddenSize)
        dropout = initializer.dropout(configuration.effectiveClassifierDropout)
        outProj = initializer.linear(configuration.hiddenSize, configuration.numLabels)
        self.activation = activation
    }

    public var namedChildren: [(name: String, module: any Module)] {
        [("dense", dense), ("dropout", dropout), ("out_proj", outProj)]
    }

    /// `[batch, length, hidden]` → logits `[batch, numLabels]`.
    public func callAsFunction(_ hidden: Tensor) -> Tensor {
        let first = dropout(BertModel.firstToken(hidden)) // [B, H]
        return outProj(dropout(activation(dense(first)))) // [B, numLabels]
    }
}
