import DetoxNN
import DetoxTensor

/// Supplies each weight while a T5 model is built: from a checkpoint (by its Hugging Face key, with
/// T5's tied-embedding aliases) or freshly initialised as transformers' `_init_weights` does.
///
/// Building straight from the checkpoint's tensors means a loaded model never allocates random
/// weights first.
final class T5WeightProvider {
    private enum Source {
        case random(SeededGenerator)
        case checkpoint([String: Tensor], name: String)
    }

    private var source: Source
    /// Checkpoint keys consumed so far.
    private(set) var usedKeys: Set<String> = []

    /// Keys that stand in for a missing key: `shared.weight` is also stored (or only stored) as the
    /// encoder's and decoder's `embed_tokens.weight`.
    static let aliases: [String: [String]] = [
        "shared.weight": ["encoder.embed_tokens.weight", "decoder.embed_tokens.weight"]
    ]

    init(seed: UInt64) { source = .random(SeededGenerator(seed: seed)) }

    init(tensors: [String: Tensor], sourceName: String) { source = .checkpoint(tensors, name: sourceName) }

    var isRandom: Bool {
        if case .random = source { return true }
        return false
    }

    /// The tensor named `key` with `shape`, or a fresh `N(0, std²)` one (`fill` instead when given).
    func tensor(_ key: String, shape: [Int], std: Float, fill: Float? = nil) throws -> Tensor {
        switch source {
        case .random(var generator):
            let value =
                fill.map { Tensor.full(shape, $0) } ?? Tensor.randomNormal(shape, std: std, generator: &generator)
            source = .random(generator)
            return value
        case .checkpoint(let tensors, let name):
            for candidate in [key] + (Self.aliases[key] ?? []) {
                guard let value = tensors[candidate] else { continue }
                guard value.shape == shape else {
                    throw ModelError.shapeMismatch(source: name, key: candidate, expected: shape, actual: value.shape)
                }
                usedKeys.insert(candidate)
                return value
            }
            throw ModelError.missingTensor(source: name, key: key)
        }
    }

    /// A bias-free `Linear` whose weight is `"\(path).weight"` `[out, in]`.
    func linear(_ path: String, inFeatures: Int, outFeatures: Int, std: Float) throws -> any LinearLayer {
        Linear(weight: try tensor("\(path).weight", shape: [outFeatures, inFeatures], std: std))
    }

    /// A dropout module with its own seed (each one draws from a different stream).
    func dropout(_ probability: Float) -> Dropout {
        dropoutCount += 1
        return Dropout(probability: probability, seed: dropoutSeed &+ dropoutCount &* 0x9E37_79B9_7F4A_7C15)
    }

    /// Base seed for the dropout modules of the model being built.
    var dropoutSeed: UInt64 = 0
    private var dropoutCount: UInt64 = 0

    /// A T5 layer norm whose weight is `"\(path).weight"` (initialised to `factor`).
    func layerNorm(_ path: String, dimension: Int, epsilon: Float, factor: Float) throws -> RMSNorm {
        let norm = RMSNorm(dimension: dimension, epsilon: epsilon)
        norm.weight.assign(try tensor("\(path).weight", shape: [dimension], std: 0, fill: factor))
        return norm
    }
}
