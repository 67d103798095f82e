// Port of transformers src/transformers/generation/utils.py (v4.46.3), `GenerationMixin._sample`,
// for T5 with its encoder–decoder cache.
import DetoxNN
import DetoxTensor

extension T5ForConditionalGeneration {
    // MARK: - Generation

    /// Generates a continuation of every input row, greedily or by sampling, seeded by `configuration.seed`.
    ///
    /// See ``generate(inputIDs:attentionMask:configuration:generator:)``.
    public func generate(inputIDs: [[Int]], attentionMask: [[Int]]? = nil, configuration: GenerationConfig) throws
        -> GenerationOutput
    {
        var generator = SeededGenerator(seed: configuration.seed)
        return try generate(
            inputIDs: inputIDs, attentionMask: attentionMask, configuration: configuration, generator: &generator)
    }

    /// Generates a continuation of every input row.
    ///
    /// Runs with gradient recording off and in evaluation behaviour (no dropout). The encoder runs
    /// once; cross-attention keys and values are projected once; each step feeds only the newest
    /// token through the decoder, reading earlier positions from a preallocated self-attention
    /// cache. Every step: logits of the new position, EOS suppressed while fewer than
    /// `minNewTokens` tokens exist, then (sampling) temperature, top-k, top-p, and the arg-max or a
    /// draw from `generator`. A row that produced EOS receives padding from then on; generation
    /// ends when every row has stopped or after `maxNewTokens` tokens.
    ///
    /// - Parameters:
    ///   - inputIDs: `[B][S]` right-padded source ids; `attentionMask` `[B][S]` 0/1. Without a mask,
    ///     pad tokens are masked when the pad id differs from EOS (transformers'
    ///     `_prepare_attention_mask_for_generation`), otherwise every position is attended.
    ///   - configuration: the decoding settings; ids not set there come from the model's configuration.
    ///   - generator: the random stream for sampling (unused when greedy).
    /// - Returns: rows `[decoder_start, t1, ...]` as transformers' `generate`, with per-row lengths
    ///   and, when asked, per-token log-probabilities.
    public func generate(
        inputIDs: [[Int]], attentionMask: [[Int]]? = nil, configuration settings: GenerationConfig,
        generator: inout SeededGenerator
    ) throws -> GenerationOutput {
        let vocabulary = configuration.vocabularySize
        try settings.validate(vocabularySize: vocabulary)
        let start = settings.decoderStartTokenID ?? configuration.decoderStartTokenID
        let pad = settings.padTokenID ?? configuration.padTokenID
        let eos = settings.eosTokenID ?? configuration.eosTokenID
        let (ids, batch, sourceLength) = try T5Inputs.flatten(inputIDs, name: "inputIDs", vocabulary: vocabulary)
        var mask = try T5Inputs.mask(attentionMask, name: "attentionMask", batch: batch, length: sourceLength)
        if attentionMask == nil, pad != eos, ids.contains(pad) {
            // transformers infers the mask from the padding when none is given (and pad ≠ EOS).
            mask = ids.map { $0 == pad ? 0 : 1 }
        }

        let attention = decoder.relativeAttention
        try CacheBudget.check(
            layers: decoder.blocks.modules.count, batch: batch, positions: settings.maxNewTokens,
            width: attention.headCount * attention.headDimension)

        // Evaluation behaviour for the whole generation; each dropout's mode is restored after.
        let training = dropoutModules.filter(\.isTraining)
        for dropout in training { dropout.setTraining(false) }
        defer { for dropout in training { dropout.setTraining(true) } }

        return try Tensor.withNoGrad {
            let additive = T5Inputs.additivePaddingMask(mask, batch: batch, length: sourceLength)
            let embeddings = shared.weight.tensor.indexSelect(ids).reshaped([
                batch, sourceLength, configuration.modelDimension,
            ])
            let encoderHidden = encoder(embeddings: embeddings, selfMask: additive) // [B, S, d]
            let cache = T5DecoderCache(
                decoder: decoder, encoderHidden: encoderHidden, encoderMask: additive.values,
                capacity: settings.maxNewTokens)

            var sequences = [[Int]](repeating: [start], count: batch)
            var finished = [Bool](repeating: false, count: batch)
            var counts = [Int](repeating: 0, count: batch)
            var logProbabilities: [[Float]]? =
                settings.returnLogProbabilities ? Array(repeating: [], count: batch) : nil
            var current = [Int](repeating: start, count: batch)
            var choice = TokenChoice(settings: settings, eos: eos, vocabularySize: vocabulary)

            for step in 0..<settings.maxNewTokens {
                // Only unfinished rows go through the decoder; finished ones just get padding.
                let active = (0..<batch).filter { !finished[$0] }
                let logits = decoderStep(tokens: active.map { current[$0] }, rows: active, cache: cache) // [A, vocab]
                for row in 0..<batch where finished[row] {
                    sequences[row].append(pad)
                    logProbabilities?[row].append(0)
                }
                try logits.withUnsafeBufferPointer { raw in
                    for (index, row) in active.enumerated() {
                        let rowLogits = UnsafeBufferPointer(
                            rebasing: raw[(index * vocabulary)..<((index + 1) * vocabulary)])
                        let (token, logProbability) = try choice.choose(rowLogits, step: step, generator: &generator)
                        if let logProbability { logProbabilities?[row].append(logProbability) }
                        current[row] = token
                        sequences[row].append(token)
                        counts[row] += 1
                        if token == eos { finished[row] = true }
                    }
                }
                if !finished.contains(false) { break }
            }
            return GenerationOutput(
                sequences: sequences, generatedCounts: counts, stoppedAtEOS: finished,
                logProbabilities: logProbabilities)
        }
    }

    /// The dropout modules of the model (to switch generation to evaluation behaviour).
    private var dropoutModules: [Dropout] {
        var result: [Dropout] = []
        var stack: [any Module] = [self]
        while let module = stack.popLast() {
            if let dropout = module as? Dropout { result.append(dropout) }
            stack.append(contentsOf: module.namedChildren.map(\.module))
        }
        return result
    }

    /// Feeds one token for each batch row in `rows` at the cache's next position through the
    /// decoder and stores that position's self-attention keys and values. Rows are independent,
    /// so leaving finished rows out changes nothing for the others. Returns the logits `[A, vocab]`.
    func decoderStep(tokens: [Int], rows: [Int], cache: T5DecoderCache) -> Tensor {
        let position = cache.length
        let keyLength = position + 1
        let relative = decoder.relativeAttention
        let heads = relative.headCount
        let headDimension = relative.headDimension
        // Relative bias of the new query against keys 0...position: [H, keyLength].
        var bias = [Float](repeating: 0, count: heads * keyLength)
        relative.relativeAttentionBias?.weight.tensor.withUnsafeBufferPointer { table in
            for j in 0..<keyLength {
                let bucket = cache.causalBuckets[position - j]
                for h in 0..<heads { bias[h * keyLength + j] = table[bucket * heads + h] }
            }
        }
        var hidden = shared.weight.tensor.indexSelect(tokens) // [B, d]
        var crossIndex = 0
        for (layer, block) in decoder.blocks.modules.enumerated() {
            // Self-attention over the cache plus this position.
            let selfLayer = block.selfAttentionLayer
            let attention = selfLayer.selfAttention
            let normed = selfLayer.layerNorm(hidden)
            let query = attention.q(normed) // [B, H·D]
            cache.write(layer: layer, rows: rows, keys: attention.k(normed), values: attention.v(normed))
            let context = StepAttention.attend(
                query: query, rows: rows, cache: cache.selfAttention[layer], length: keyLength, headCount: heads,
                headDimension: headDimension, bias: bias, mask: nil)
            hidden = hidden + attention.o(context)
            // Cross-attention over the cached encoder projections.
            if let crossLayer = block.crossAttentionLayer {
                let cross = crossLayer.encDecAttention
                let crossQuery = cross.q(crossLayer.layerNorm(hidden))
                let crossContext = StepAttention.attend(
                    query: crossQuery, rows: rows, keys: cache.crossKeys[crossIndex],
                    values: cache.crossValues[crossIndex], headCount: heads, headDimension: headDimension,
                    bias: nil, mask: cache.encoderMask)
                hidden = hidden + cross.o(crossContext)
                crossIndex += 1
            }
            hidden = block.feedForwardLayer(hidden)
        }
        cache.advance()
        return lmLogits(decoder.finalLayerNorm(hidden))
    }
}
