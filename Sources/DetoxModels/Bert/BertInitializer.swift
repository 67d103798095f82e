// Port of transformers src/transformers/models/bert/modeling_bert.py `BertPreTrainedModel._init_weights` (v4.46.3)
import DetoxNN
import DetoxTensor

/// Produces the starting values of a BERT-family model's parameters and the seeds of its dropouts.
///
/// `.normal` follows `_init_weights`: linear weights and embeddings ~ N(0, initializer_range²)
/// with the padding row zeroed, biases zero, layer norms one/zero. `.zeros` is for a model whose
/// weights are about to be loaded from a checkpoint (no time spent drawing numbers).
struct BertInitializer {
    private var generator: SeededGenerator?
    private let standardDeviation: Float
    private var nextSeed: UInt64

    /// Random initialization as transformers does it, from `generator`.
    static func normal(std: Float, generator: SeededGenerator, dropoutSeed: UInt64) -> BertInitializer {
        BertInitializer(generator: generator, standardDeviation: std, nextSeed: dropoutSeed)
    }

    /// All-zero weights (to be overwritten by a checkpoint).
    static func zeros(dropoutSeed: UInt64) -> BertInitializer {
        BertInitializer(generator: nil, standardDeviation: 0, nextSeed: dropoutSeed)
    }

    /// The generator after every draw so far (`nil` for `.zeros`), to hand back to the caller.
    var currentGenerator: SeededGenerator? { generator }

    /// A `[out, in]` linear layer with zero bias.
    mutating func linear(_ inFeatures: Int, _ outFeatures: Int) -> Linear {
        Linear(weight: draw([outFeatures, inFeatures]), bias: Tensor.zeros([outFeatures]))
    }

    /// An embedding table whose `paddingIndex` row (if any) is zero, like `nn.Embedding(padding_idx=)`.
    mutating func embedding(count: Int, dimension: Int, paddingIndex: Int? = nil) -> Embedding {
        var table = draw([count, dimension])
        if let paddingIndex, paddingIndex >= 0, paddingIndex < count, generator != nil {
            var values = table.values
            for j in 0..<dimension { values[paddingIndex * dimension + j] = 0 }
            table = Tensor(values, shape: [count, dimension])
        }
        return Embedding(weight: table)
    }

    /// A dropout with its own seed (each dropout in a model draws a different mask).
    mutating func dropout(_ probability: Float) -> Dropout {
        defer { nextSeed &+= 1 }
        return Dropout(probability: probability, seed: nextSeed)
    }

    private mutating func draw(_ shape: [Int]) -> Tensor {
        guard var generator else { return Tensor.zeros(shape) }
        defer { self.generator = generator }
        return Tensor.randomNormal(shape, std: standardDeviation, generator: &generator)
    }
}
