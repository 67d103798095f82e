import DetoxNN
import DetoxTensor

/// A decoder-only transformer as the shared generation and training code sees it: the family's
/// contract with ``CausalInputs``, ``CausalCache`` and the generic `generate`, loss and
/// `LanguageModel` conformance written over this protocol.
public protocol CausalTransformer: Module {
    var vocabularySize: Int { get }
    var layerCount: Int { get }
    /// Key/value heads × head dimension: the width of each layer's cached keys and values.
    var keyValueWidth: Int { get }
    /// The pad id (EOS for families without one, as GPT-2).
    var padTokenID: Int { get }
    var eosTokenID: Int { get }
    /// The longest position id the model can embed plus one (a learned position table's length),
    /// or `nil` when positions are unbounded (rotary).
    var maxPositionCount: Int? { get }

    /// The final-normed hidden states `[B, L, hidden]`, differentiable. With a `cache`, each layer
    /// writes its keys and values for positions `0..<L` (``CausalCache/writePrefill(layer:keys:values:)``).
    /// - Throws: ``ModelError/invalidInput(_:)`` for a position beyond ``maxPositionCount``.
    func hiddenStates(_ inputs: CausalInputs, cache: CausalCache?) throws -> Tensor

    /// One new token for each batch row in `rows` at position ``CausalCache/length`` of the cache,
    /// with position ids `positions`, attending over the cache (written by this call for those
    /// rows). Returns `[A, hidden]`, final-normed. The caller advances the cache.
    func stepHiddenStates(tokens: [Int], rows: [Int], positions: [Int], cache: CausalCache) -> Tensor

    /// The LM head (tied or not): `[…, hidden]` → `[…, vocab]`.
    func logits(hidden: Tensor) -> Tensor
}

extension CausalTransformer {
    /// Logits `[B, L, vocab]` of a batch, and with `labels` `[B][L]` the causal loss: position `t`
    /// predicts `labels[t + 1]` (transformers' shift by one), `-100` ignored, mean over the rest.
    public func forward(_ inputs: CausalInputs, labels: [[Int]]? = nil) throws -> (logits: Tensor, loss: Tensor?) {
        let hidden = try DropoutRows.withStarts(inputs.starts) { try hiddenStates(inputs, cache: nil) }
        let logits = self.logits(hidden: hidden)
        guard let labels else { return (logits, nil) }
        return (logits, try Self.causalLoss(logits: logits, labels: labels, vocabularySize: vocabularySize))
    }

    /// transformers' `ForCausalLMLoss`: cross-entropy of `logits[:, :-1]` against `labels[:, 1:]`,
    /// ignoring `-100`, mean over the counted tokens.
    /// - Throws: ``ModelError/invalidInput(_:)`` when the labels do not fit the logits.
    public static func causalLoss(logits: Tensor, labels: [[Int]], vocabularySize: Int) throws -> Tensor {
        let batch = logits.shape[0]
        let length = logits.shape[1]
        guard labels.count == batch, labels.allSatisfy({ $0.count == length }) else {
            throw ModelError.invalidInput("labels must be [\(batch)][\(length)] like the inputs")
        }
        for row in labels {
            if let bad = row.first(where: { $0 != Losses.ignoreIndex && ($0 < 0 || $0 >= vocabularySize) }) {
                throw ModelError.invalidInput("label \(bad) is outside the vocabulary 0..<\(vocabularySize)")
            }
        }
        guard length > 1 else { throw ModelError.invalidInput("the causal loss needs at least two positions") }
        let shifted = logits.slice(axis: 1, 0..<(length - 1)).reshaped([-1, vocabularySize])
        let targets = labels.flatMap { $0.dropFirst() }
        return try Losses.crossEntropy(shifted, targets: targets)
    }

    /// Checks that every position a generation of `newTokens` tokens would embed fits
    /// ``maxPositionCount``.
    func checkPositions(_ inputs: CausalInputs, newTokens: Int) throws {
        guard let limit = maxPositionCount else { return }
        // The last generated token is never fed back, so the highest embedded position is this.
        let highest = (inputs.realCounts.max() ?? 0) + newTokens - 2
        guard highest < limit else {
            throw ModelError.invalidInput(
                "position \(highest) is beyond the model's \(limit) positions (prompt plus new tokens)")
        }
    }
}
