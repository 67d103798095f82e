// Port of transformers src/transformers/generation/utils.py (v4.46.3), `GenerationMixin._sample`,
// for decoder-only models with left padding and a key/value cache.
import DetoxNN
import DetoxTensor

extension CausalTransformer {
    /// Generates a continuation of every left-padded input row, greedily or by sampling.
    ///
    /// Runs with gradient recording off and in evaluation behaviour (no dropout). The prompt runs
    /// once through ``hiddenStates(_:cache:)`` filling the cache; each step feeds only the newest
    /// token of every unfinished row through ``stepHiddenStates(tokens:rows:positions:cache:)``.
    /// Position ids come from the mask (`cumsum(mask) − 1`), so padding shifts nothing. Each step's
    /// token is chosen as T5's (EOS suppressed before `minNewTokens`, then temperature, top-k, top-p
    /// when sampling); a row that produced EOS receives padding from then on; generation ends when
    /// every row has stopped or after `maxNewTokens` tokens.
    ///
    /// - Parameters:
    ///   - inputIDs: `[B][L]` left-padded prompts; `attentionMask` `[B][L]` 0/1. Without a mask, pad
    ///     tokens are masked when the pad id differs from EOS (transformers'
    ///     `_prepare_attention_mask_for_generation`), otherwise every position is attended.
    ///   - configuration: the decoding settings; ids not set there come from the model.
    /// - Returns: rows `[prompt…, t1, t2, …]` as transformers' `generate`, with
    ///   ``GenerationOutput/promptLength`` `L`.
    /// - Throws: ``ModelError/invalidInput(_:)`` for bad ids, masks or settings, or positions beyond
    ///   the model's table.
    public func generate(
        inputIDs: [[Int]], attentionMask: [[Int]]?, configuration settings: GenerationConfig,
        generator: inout SeededGenerator
    ) throws -> GenerationOutput {
        let vocabulary = vocabularySize
        try settings.validate(vocabularySize: vocabulary)
        let pad = settings.padTokenID ?? padTokenID
        let eos = settings.eosTokenID ?? eosTokenID
        var mask = attentionMask
        if mask == nil, pad != eos, inputIDs.contains(where: { $0.contains(pad) }) {
            // transformers infers the mask from the padding when none is given (and pad ≠ EOS).
            mask = inputIDs.map { row in row.map { $0 == pad ? 0 : 1 } }
        }
        let inputs = try CausalInputs(ids: inputIDs, mask: mask, vocabularySize: vocabulary)
        let batch = inputs.batch
        let length = inputs.length
        // The cache is sized from maxNewTokens, a number from flags and files: refuse what cannot
        // fit before anything is allocated (rotary models have no position table to bound it).
        let (capacity, overflow) = length.addingReportingOverflow(settings.maxNewTokens)
        guard !overflow else {
            throw ModelError.invalidInput("maxNewTokens \(settings.maxNewTokens) is beyond any cache")
        }
        try CacheBudget.check(layers: layerCount, batch: batch, positions: capacity, width: keyValueWidth)
        try checkPositions(inputs, newTokens: settings.maxNewTokens)

        return try withEvaluationBehaviour {
            try Tensor.withNoGrad {
                let cache = CausalCache(
                    inputs: inputs, capacity: capacity, layerCount: layerCount,
                    keyValueWidth: keyValueWidth)
                let hidden = try hiddenStates(inputs, cache: cache) // [B, L, d]
                cache.advance(by: length)
                let last = hidden.reshaped([batch * length, hidden.shape[2]])
                    .indexSelect((0..<batch).map { $0 * length + length - 1 })
                var logits = self.logits(hidden: last) // [B, vocab]
                var active = Array(0..<batch)

                var sequences = inputIDs
                var finished = [Bool](repeating: false, count: batch)
                var counts = [Int](repeating: 0, count: batch)
                var logProbabilities: [[Float]]? =
                    settings.returnLogProbabilities ? Array(repeating: [], count: batch) : nil
                var choice = TokenChoice(settings: settings, eos: eos, vocabularySize: vocabulary)

                for step in 0..<settings.maxNewTokens {
                    for row in 0..<batch where finished[row] {
                        sequences[row].append(pad)
                        logProbabilities?[row].append(0)
                    }
                    var tokens: [Int] = []
                    try logits.withUnsafeBufferPointer { raw in
                        for (index, row) in active.enumerated() {
                            let rowLogits = UnsafeBufferPointer(
                                rebasing: raw[(index * vocabulary)..<((index + 1) * vocabulary)])
                            let (token, logProbability) = try choice.choose(
                                rowLogits, step: step, generator: &generator)
                            if let logProbability { logProbabilities?[row].append(logProbability) }
                            tokens.append(token)
                            sequences[row].append(token)
                            counts[row] += 1
                            if token == eos { finished[row] = true }
                        }
                    }
                    if !finished.contains(false) || step == settings.maxNewTokens - 1 { break }
                    // Only unfinished rows go on through the model.
                    let next = active.indices.filter { !finished[active[$0]] }
                    active = next.map { active[$0] }
                    let stepHidden = stepHiddenStates(
                        tokens: next.map { tokens[$0] }, rows: active,
                        positions: active.map { cache.nextPositions[$0] }, cache: cache)
                    cache.advance(rows: active)
                    logits = self.logits(hidden: stepHidden)
                }
                return GenerationOutput(
                    sequences: sequences, generatedCounts: counts, stoppedAtEOS: finished,
                    logProbabilities: logProbabilities, promptLength: length)
            }
        }
    }
}

extension Module {
    /// Runs `body` with every dropout below this module in evaluation behaviour, restoring the
    /// training mode of each afterwards.
    func withEvaluationBehaviour<R>(_ body: () throws -> R) rethrows -> R {
        var training: [Dropout] = []
        var stack: [any Module] = [self]
        while let module = stack.popLast() {
            if let dropout = module as? Dropout, dropout.isTraining { training.append(dropout) }
            stack.append(contentsOf: module.namedChildren.map(\.module))
        }
        for dropout in training { dropout.setTraining(false) }
        defer { for dropout in training { dropout.setTraining(true) } }
        return try body()
    }
}
