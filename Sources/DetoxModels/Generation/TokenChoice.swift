// Port of transformers src/transformers/generation/utils.py (v4.46.3), the per-row token choice of
// `GenerationMixin._sample`, shared by every family's generation loop.
import DetoxTensor

/// Chooses each generated token from one row of logits: suppression (ids past a vocabulary limit,
/// EOS before `minNewTokens`), then greedy arg-max or, when sampling, temperature, top-k, top-p and
/// a draw from the generator; optionally the chosen token's log-probability.
///
/// Holds one scratch row of scores, reused for every row and step.
package struct TokenChoice {
    let settings: GenerationConfig
    let eos: Int
    let suppressed: [Int]
    private var scores: [Float]

    /// A chooser for rows of `vocabularySize` logits.
    package init(settings: GenerationConfig, eos: Int, vocabularySize: Int) {
        self.settings = settings
        self.eos = eos
        suppressed = settings.vocabularyLimit.map { Array($0..<vocabularySize) } ?? []
        scores = [Float](repeating: 0, count: vocabularySize)
    }

    /// The token for `rowLogits` at generation step `step` (0 for the first new token), and its
    /// log-probability when `settings.returnLogProbabilities` (from the distribution
    /// `settings.logProbabilitySource` names).
    ///
    /// - Throws: ``ModelError/nonFiniteLogits(step:tokenID:value:)`` when the row holds a NaN or
    ///   an infinity (transformers would emit token 0 greedily, or fail in `torch.multinomial`
    ///   when sampling): the model's weights or activations are broken, and no text from it means
    ///   anything.
    package mutating func choose(
        _ rowLogits: UnsafeBufferPointer<Float>, step: Int, generator: inout SeededGenerator
    ) throws -> (token: Int, logProbability: Float?) {
        if let bad = LogitsProcessing.firstNonFinite(rowLogits) {
            throw ModelError.nonFiniteLogits(step: step + 1, tokenID: bad.index, value: bad.value)
        }
        let settings = settings
        let eos = eos
        let suppressed = suppressed
        let token: Int = scores.withUnsafeMutableBufferPointer { s in
            _ = s.update(fromContentsOf: rowLogits)
            LogitsProcessing.suppress(s, ids: suppressed)
            if step < settings.minNewTokens { LogitsProcessing.suppress(s, ids: [eos]) }
            guard settings.doSample else { return LogitsProcessing.argmax(UnsafeBufferPointer(s)) }
            if settings.temperature != 1 {
                LogitsProcessing.applyTemperature(s, temperature: settings.temperature)
            }
            if settings.topK != 0 { LogitsProcessing.applyTopK(s, k: settings.topK) }
            if settings.topP < 1 { LogitsProcessing.applyTopP(s, topP: settings.topP) }
            return LogitsProcessing.sample(UnsafeBufferPointer(s), generator: &generator)
        }
        guard settings.returnLogProbabilities else { return (token, nil) }
        let value =
            settings.logProbabilitySource == .model
            ? LogitsProcessing.logProbability(rowLogits, index: token)
            : scores.withUnsafeBufferPointer { LogitsProcessing.logProbability($0, index: token) }
        return (token, value)
    }
}
