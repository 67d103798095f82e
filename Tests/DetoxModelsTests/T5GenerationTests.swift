import DetoxModels
import DetoxTensor
import Foundation
import Testing

/// Generation against transformers' `model.generate` on the fixture models, and the properties of
/// the cached decoder and of sampling.
@Suite struct T5GenerationTests {
    @Test(arguments: T5Fixtures.modelNames)
    func greedyMatchesTransformersOnTwentyPaddedInputs(name: String) throws {
        let model = try T5Fixtures.model(name)
        let g = try T5Fixtures.reference(name).greedy
        #expect(g.input_ids.count == 20)
        let output = try model.generate(
            inputIDs: g.input_ids, attentionMask: g.attention_mask,
            configuration: .greedy(maxNewTokens: g.max_new_tokens))
        #expect(output.sequences == g.sequences, "\(name): greedy ids differ from transformers")
        // Per-row lengths: up to and including EOS, or all max_new_tokens.
        try #require(!g.sequences.isEmpty, "the fixture has no sequences")
        for (row, sequence) in g.sequences.enumerated() {
            let stop = sequence.dropFirst().firstIndex(of: 1)
            #expect(output.stoppedAtEOS[row] == (stop != nil))
            #expect(output.generatedCounts[row] == (stop ?? g.max_new_tokens))
        }
    }

    @Test func missingMaskIsInferredFromPaddingAsTransformersDoes() throws {
        let model = try T5Fixtures.model("t5-gated-untied")
        let g = try T5Fixtures.reference("t5-gated-untied").greedy
        let output = try model.generate(inputIDs: g.input_ids, configuration: .greedy(maxNewTokens: g.max_new_tokens))
        #expect(output.sequences == g.sequences)
        // With pad = EOS nothing can be inferred: every position is attended, so padded rows change.
        var settings = GenerationConfig.greedy(maxNewTokens: g.max_new_tokens)
        settings.padTokenID = 1
        let unmasked = try model.generate(inputIDs: g.input_ids, configuration: settings)
        let ones = g.input_ids.map { $0.map { _ in 1 } }
        let explicit = try model.generate(inputIDs: g.input_ids, attentionMask: ones, configuration: settings)
        #expect(unmasked == explicit)
    }

    /// A length that cannot fit in memory is refused before anything is allocated.
    @Test func hugeMaxNewTokensIsAnErrorNotACrash() throws {
        let model = try T5Fixtures.model("t5-gated-untied")
        let g = try T5Fixtures.reference("t5-gated-untied").greedy
        for maxNewTokens in [100_000_000_000, Int.max] {
            do {
                _ = try model.generate(inputIDs: g.input_ids, configuration: .greedy(maxNewTokens: maxNewTokens))
                Issue.record("generated \(maxNewTokens) tokens")
            } catch ModelError.invalidInput(let reason) {
                #expect(reason.contains("\(maxNewTokens) positions") && reason.contains("key/value cache"), "\(reason)")
            }
        }
    }

    @Test(arguments: T5Fixtures.modelNames)
    func minNewTokensMatchesTransformers(name: String) throws {
        let model = try T5Fixtures.model(name)
        let g = try T5Fixtures.reference(name).greedy
        let c = g.min_new_tokens_case
        let output = try model.generate(
            inputIDs: g.input_ids, attentionMask: g.attention_mask,
            configuration: .greedy(maxNewTokens: c.max_new_tokens, minNewTokens: c.min_new_tokens))
        #expect(output.sequences == c.sequences, "\(name): ids with min_new_tokens differ from transformers")
        for count in output.generatedCounts { #expect(count >= c.min_new_tokens) }
    }

    @Test(arguments: T5Fixtures.modelNames)
    func batchOfOneEqualsTheBatchAndUnpaddedTransformers(name: String) throws {
        let model = try T5Fixtures.model(name)
        let g = try T5Fixtures.reference(name).greedy
        let settings = GenerationConfig.greedy(maxNewTokens: g.max_new_tokens)
        let batched = try model.generate(
            inputIDs: g.input_ids, attentionMask: g.attention_mask, configuration: settings)
        for row in 0..<g.input_ids.count {
            let length = g.attention_mask[row].reduce(0, +)
            let single = try model.generate(inputIDs: [Array(g.input_ids[row].prefix(length))], configuration: settings)
            #expect(
                single.sequences[0] == T5Fixtures.trimmed(batched.sequences[row]), "\(name): row \(row) alone differs")
            if row < g.unpadded_single_sequences.count {
                #expect(
                    single.sequences[0] == g.unpadded_single_sequences[row],
                    "\(name): row \(row) differs from transformers")
            }
        }
    }

    @Test(arguments: T5Fixtures.modelNames)
    func cachedDecodingGivesTheFullForwardLogProbabilities(name: String) throws {
        // The step-by-step cached decoder and the teacher-forced forward must agree: the
        // log-probabilities generation reports equal the forward's (tolerance 1e-4).
        let model = try T5Fixtures.model(name)
        let g = try T5Fixtures.reference(name).greedy
        let inputs = Array(g.input_ids.prefix(6))
        let masks = Array(g.attention_mask.prefix(6))
        var settings = GenerationConfig.sampling(maxNewTokens: 10, topK: 0, seed: 3)
        settings.returnLogProbabilities = true
        let output = try model.generate(inputIDs: inputs, attentionMask: masks, configuration: settings)
        let stepLogProbabilities = try #require(output.logProbabilities)
        let decoderMask = output.sequences.enumerated().map { row, sequence in
            sequence.indices.map { $0 <= output.generatedCounts[row] ? 1 : 0 }
        }
        let scored = try Tensor.withNoGrad {
            try model.logProbabilities(
                inputIDs: inputs, attentionMask: masks, decoderTokens: output.sequences,
                decoderAttentionMask: decoderMask)
        }
        let width = output.sequences[0].count - 1
        for row in 0..<inputs.count {
            for t in 0..<output.generatedCounts[row] {
                let forward = scored.logProbabilities.values[row * width + t]
                #expect(Swift.abs(forward - stepLogProbabilities[row][t]) <= 1e-4, "\(name): row \(row) token \(t)")
            }
            for t in output.generatedCounts[row]..<width { #expect(stepLogProbabilities[row][t] == 0) }
        }
    }

    @Test func samplingIsReproducibleAndSeedDependent() throws {
        let model = try T5Fixtures.model("t5-gated-untied")
        let g = try T5Fixtures.reference("t5-gated-untied").greedy
        let settings = GenerationConfig.sampling(maxNewTokens: 12, temperature: 0.9, topK: 20, topP: 0.95, seed: 7)
        let first = try model.generate(inputIDs: g.input_ids, attentionMask: g.attention_mask, configuration: settings)
        let second = try model.generate(inputIDs: g.input_ids, attentionMask: g.attention_mask, configuration: settings)
        #expect(first == second)
        var other = settings
        other.seed = 8
        let third = try model.generate(inputIDs: g.input_ids, attentionMask: g.attention_mask, configuration: other)
        #expect(third.sequences != first.sequences, "a different seed should change some sampled tokens")
        // Pure sampling (top_k 0, top_p 1) differs from greedy somewhere over 20 rows.
        let pure = try model.generate(
            inputIDs: g.input_ids, attentionMask: g.attention_mask,
            configuration: .sampling(maxNewTokens: 12, topK: 0, topP: 1, seed: 1))
        let greedy = try model.generate(
            inputIDs: g.input_ids, attentionMask: g.attention_mask,
            configuration: .greedy(maxNewTokens: 12))
        #expect(pure.sequences != greedy.sequences)
    }

    @Test(arguments: T5Fixtures.modelNames)
    func samplingWithTopKOneIsGreedy(name: String) throws {
        let model = try T5Fixtures.model(name)
        let g = try T5Fixtures.reference(name).greedy
        let sampled = try model.generate(
            inputIDs: g.input_ids, attentionMask: g.attention_mask,
            configuration: .sampling(maxNewTokens: g.max_new_tokens, temperature: 0.7, topK: 1, seed: 11))
        #expect(sampled.sequences == g.sequences)
    }

    @Test func eosOutsideTheVocabularyNeverStops() throws {
        // TRL's `eos_token_id=-1` setting: every row runs to maxNewTokens.
        let model = try T5Fixtures.model("t5-relu-tied")
        let g = try T5Fixtures.reference("t5-relu-tied").greedy
        var settings = GenerationConfig.greedy(maxNewTokens: 9)
        settings.eosTokenID = -1
        let output = try model.generate(inputIDs: g.input_ids, attentionMask: g.attention_mask, configuration: settings)
        #expect(output.generatedCounts == Array(repeating: 9, count: 20))
        #expect(output.sequences.allSatisfy { $0.count == 10 })
        #expect(output.stoppedAtEOS.allSatisfy { !$0 })
    }

    @Test func vocabularyLimitExcludesTheTailIDs() throws {
        let model = try T5Fixtures.model("t5-gated-untied")
        let g = try T5Fixtures.reference("t5-gated-untied").greedy
        var settings = GenerationConfig.sampling(maxNewTokens: 16, topK: 0, seed: 5)
        settings.vocabularyLimit = 64
        let output = try model.generate(inputIDs: g.input_ids, attentionMask: g.attention_mask, configuration: settings)
        #expect(output.sequences.allSatisfy { $0.allSatisfy { $0 < 64 } })
        // Without the limit, the greedy fixture does use ids ≥ 64.
        #expect(g.sequences.contains { $0.contains { $0 >= 64 } })
    }

    @Test func generationUsesEvaluationBehaviourAndRestoresTraining() throws {
        let model = try T5Fixtures.model("t5-gated-untied")
        let g = try T5Fixtures.reference("t5-gated-untied").greedy
        model.setTraining(true)
        let output = try model.generate(
            inputIDs: g.input_ids, attentionMask: g.attention_mask,
            configuration: .greedy(maxNewTokens: g.max_new_tokens))
        #expect(output.sequences == g.sequences, "dropout must be off while generating")
        let f = try T5Fixtures.reference("t5-gated-untied").forward
        let first = try model(inputIDs: f.input_ids, attentionMask: f.attention_mask, labels: f.labels)
        let second = try model(inputIDs: f.input_ids, attentionMask: f.attention_mask, labels: f.labels)
        #expect(first.logits.values != second.logits.values, "training mode (dropout) must be restored")
        model.setTraining(false)
    }

    @Test func generationConfigDecodesTransformersNames() throws {
        let json =
            #"{"do_sample": true, "top_k": 0, "top_p": 0.9, "max_new_tokens": 32, "eos_token_id": 1, "num_beams": 1}"#
        let settings = try JSONDecoder().decode(GenerationConfig.self, from: Data(json.utf8))
        #expect(settings.doSample && settings.topK == 0 && settings.topP == 0.9 && settings.maxNewTokens == 32)
        #expect(settings.eosTokenID == 1 && settings.temperature == 1 && settings.minNewTokens == 0)
        let defaults = try JSONDecoder().decode(GenerationConfig.self, from: Data("{}".utf8))
        #expect(defaults == GenerationConfig())
        #expect(GenerationConfig().topK == 50, "transformers' default top_k")
    }

    @Test func invalidSettingsAndInputsAreTypedErrors() throws {
        let model = try T5Fixtures.model("t5-relu-tied")
        #expect(throws: ModelError.self) {
            try model.generate(inputIDs: [[5, 1]], configuration: .greedy(maxNewTokens: 0))
        }
        #expect(throws: ModelError.self) {
            try model.generate(inputIDs: [[5, 1]], configuration: .sampling(maxNewTokens: 4, temperature: 0))
        }
        #expect(throws: ModelError.self) {
            try model.generate(inputIDs: [[5, 999]], configuration: .greedy(maxNewTokens: 4))
        }
        #expect(throws: ModelError.self) {
            try model.generate(inputIDs: [[5, 1], [6]], configuration: .greedy(maxNewTokens: 4))
        }
        #expect(throws: ModelError.self) {
            try model.generate(inputIDs: [[5, 1]], attentionMask: [[1, 2]], configuration: .greedy(maxNewTokens: 4))
        }
    }
}
