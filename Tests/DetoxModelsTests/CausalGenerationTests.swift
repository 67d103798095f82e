import DetoxCheckpoints
import DetoxModels
import DetoxNN
import DetoxOptimizers
import DetoxTensor
import DetoxTestSupport
import Foundation
import Testing

/// The shared decoder-only machinery: left padding and positions, the attention bias, KV-cached
/// generation against transformers' `generate` (greedy ids identical), seeded sampling, the
/// `LanguageModel` conformance and the value-head policy.
@Suite struct CausalGenerationTests {
    static let families = ["gpt2-tiny", "gpt2-untied", "gpt-neo-tiny"]

    static func load(_ name: String) throws -> any LanguageModel {
        try LanguageModelLoader.load(folder: CausalFixtures.folder(name))
    }

    @Test func leftPaddingAndPositions() throws {
        let inputs = try CausalInputs.leftPadded([[5, 6, 7], [8]], pad: 0, vocabularySize: 10)
        #expect(inputs.ids == [5, 6, 7, 0, 0, 8])
        #expect(inputs.mask == [[1, 1, 1], [0, 0, 1]])
        #expect(inputs.positions == [0, 1, 2, 1, 1, 0])
        let bias = inputs.attentionBias(headCount: 1, window: 2).values
        let m = CausalInputs.maskedScore
        // Row 0: causal with a window of 2; row 1: only its real token, and pad queries see nothing.
        #expect(bias == [0, m, m, 0, 0, m, m, 0, 0] + [m, m, m, m, m, m, m, m, 0])
        // Eager attention's layout: keys after the query or outside its window are -inf, so the pad
        // queries of row 1 attend only to their own causal keys.
        let eager = inputs.attentionBias(headCount: 1, window: 2, maskedQueries: .causalKeys).values
        let n = -Float.infinity
        #expect(eager == [0, n, n, 0, 0, n, n, 0, 0] + [m, n, n, m, m, n, n, m, 0])
        #expect(throws: ModelError.self) { try CausalInputs(ids: [[1, 2], [3]], vocabularySize: 10) }
        #expect(throws: ModelError.self) { try CausalInputs(ids: [[1, 12]], vocabularySize: 10) }
    }

    @Test("greedy ids equal transformers' generate on a left-padded batch", arguments: families)
    func greedyMatchesTransformers(name: String) throws {
        let model = try Self.load(name)
        let reference = try CausalFixtures.reference(name)
        let output = try model.generate(
            inputIDs: reference.input_ids, attentionMask: reference.attention_mask,
            configuration: .greedy(maxNewTokens: reference.max_new_tokens))
        #expect(output.sequences == reference.greedy)
        #expect(output.promptLength == reference.input_ids[0].count)
        let withMinimum = try model.generate(
            inputIDs: reference.input_ids, attentionMask: reference.attention_mask,
            configuration: .greedy(maxNewTokens: reference.max_new_tokens, minNewTokens: reference.min_new_tokens))
        #expect(withMinimum.sequences == reference.greedy_min)
    }

    /// The ids and mask of a fixture's left-padded batch (GPT and Llama fixtures alike).
    struct PaddedBatch: Decodable {
        let inputIDs: [[Int]]
        let attentionMask: [[Int]]

        enum CodingKeys: String, CodingKey {
            case inputIDs = "input_ids"
            case attentionMask = "attention_mask"
        }
    }

    /// A generation's prefill (a pass with a cache) runs its per-token layers on the real tokens of
    /// a left-padded batch alone: its hidden states at real tokens equal the full pass's within
    /// 1e-5 (the products have fewer rows, so sums may round differently), and padding positions
    /// come back as zeros. The same batch with one row's padding moved to the right (`generate`
    /// then reads a padding position, whose attention may see padding keys in GPT-Neo's window) is
    /// not packed, so its hidden states equal the full pass's everywhere. The greedy and
    /// cached-step tests check the cache it fills.
    @Test(
        "a prefill computes the real tokens alone, as the full pass does",
        arguments: families + LlamaFixtures.modelNames)
    func prefillSkipsPadding(name: String) throws {
        let model = try #require(try Self.load(name) as? any CausalTransformer)
        let batch = try CausalFixtures.reference(PaddedBatch.self, name)
        let leftPadded = try CausalInputs(
            ids: batch.inputIDs, mask: batch.attentionMask, vocabularySize: model.vocabularySize)
        let padded = try #require(leftPadded.realCounts.firstIndex { $0 < leftPadded.length }, "no padded row")
        var rightMask = batch.attentionMask
        rightMask[padded] = rightMask[padded].sorted(by: >)
        let rightPadded = try CausalInputs(ids: batch.inputIDs, mask: rightMask, vocabularySize: model.vocabularySize)
        try expectPrefillMatches(model, leftPadded, packed: true)
        try expectPrefillMatches(model, rightPadded, packed: false)
    }

    private func expectPrefillMatches(_ model: any CausalTransformer, _ inputs: CausalInputs, packed: Bool) throws {
        let cache = CausalCache(
            inputs: inputs, capacity: inputs.length, layerCount: model.layerCount, keyValueWidth: model.keyValueWidth)
        let (full, prefill) = try Tensor.withNoGrad {
            (try model.hiddenStates(inputs, cache: nil), try model.hiddenStates(inputs, cache: cache))
        }
        #expect(prefill.shape == full.shape)
        let width = try #require(full.shape.last)
        let flags = inputs.mask.flatMap { $0 }
        let kept = flags.indices.map { !packed || flags[$0] == 1 }
        func values(_ tensor: Tensor, real: Bool) -> [Float] {
            flags.indices.filter { kept[$0] == real }.flatMap {
                tensor.values[($0 * width)..<(($0 + 1) * width)]
            }
        }
        let difference = try TestSupport.maxAbsDifference(values(prefill, real: true), values(full, real: true))
        #expect(difference <= 1e-5, "hidden states differ by \(difference)")
        let padding = values(prefill, real: false)
        #expect(padding.isEmpty != packed)
        #expect(padding.allSatisfy { $0 == 0 })
    }

    /// The cache (and, for GPT-Neo, the window in cached steps) against a full forward pass: each
    /// generated token's log-probability from the cached step equals the one the full sequence gives.
    /// Tolerance 1e-4.
    @Test("cached steps give the full forward pass's log-probabilities", arguments: families)
    func cachedStepsMatchFullForward(name: String) throws {
        let reference = try CausalFixtures.reference(name)
        let folder = try CausalFixtures.folder(name)
        let model: any CausalTransformer =
            name.hasPrefix("gpt2")
            ? try GPT2LMHeadModel.load(folder: folder) : try GPTNeoForCausalLM.load(folder: folder)
        var settings = GenerationConfig.greedy(maxNewTokens: reference.max_new_tokens)
        settings.returnLogProbabilities = true
        var generator = SeededGenerator(seed: 0)
        let output = try model.generate(
            inputIDs: reference.input_ids, attentionMask: reference.attention_mask, configuration: settings,
            generator: &generator)
        let length = output.promptLength
        let width = try #require(output.sequences.first?.count)
        try #require(width > length)
        let mask = zip(reference.attention_mask, output.generatedCounts).map { prompt, count in
            prompt + (0..<(width - length)).map { $0 < count ? 1 : 0 }
        }
        let inputs = try CausalInputs(ids: output.sequences, mask: mask, vocabularySize: model.vocabularySize)
        let logits = try Tensor.withNoGrad { try model.forward(inputs).logits }
        var rows: [Int] = []
        var targets: [Int] = []
        var expected: [Float] = []
        let logProbabilities = try #require(output.logProbabilities)
        for (b, count) in output.generatedCounts.enumerated() {
            for step in 0..<count {
                rows.append(b * width + length + step - 1)
                targets.append(output.sequences[b][length + step])
                expected.append(logProbabilities[b][step])
            }
        }
        try #require(!rows.isEmpty)
        let full = try TokenLogProbabilities.gather(
            logits.reshaped([-1, model.vocabularySize]).indexSelect(rows), targets: targets)
        let difference = try TestSupport.maxAbsDifference(full.values, expected)
        #expect(difference <= 1e-4, "\(name): cached and full log-probabilities differ by \(difference)")
    }

    @Test("rollout responses are the generated tokens, EOS included", arguments: families)
    func responsesAreGeneratedTokens(name: String) throws {
        let model = try Self.load(name)
        let reference = try CausalFixtures.reference(name)
        var generator = SeededGenerator(seed: 0)
        let responses = try model.generateResponses(
            queries: reference.prompts, configuration: .greedy(maxNewTokens: reference.max_new_tokens),
            generator: &generator)
        try #require(responses.count == reference.greedy.count)
        let length = reference.input_ids[0].count
        for (response, row) in zip(responses, reference.greedy) {
            var expected: [Int] = []
            for token in row.dropFirst(length) {
                expected.append(token)
                if token == model.eosTokenID { break }
            }
            #expect(response == expected)
        }
    }

    @Test("seeded sampling is deterministic and stays in the vocabulary", arguments: families)
    func seededSampling(name: String) throws {
        let model = try Self.load(name)
        let reference = try CausalFixtures.reference(name)
        var settings = GenerationConfig.sampling(maxNewTokens: 6, temperature: 0.9, topK: 20, topP: 0.95, seed: 7)
        settings.returnLogProbabilities = true
        let a = try model.generate(
            inputIDs: reference.input_ids, attentionMask: reference.attention_mask, configuration: settings)
        let b = try model.generate(
            inputIDs: reference.input_ids, attentionMask: reference.attention_mask, configuration: settings)
        #expect(a == b)
        settings.seed = 8
        let c = try model.generate(
            inputIDs: reference.input_ids, attentionMask: reference.attention_mask, configuration: settings)
        #expect(a.sequences != c.sequences)
        let length = reference.input_ids[0].count
        for (row, prompt) in zip(a.sequences, reference.input_ids) {
            #expect(Array(row.prefix(length)) == prompt)
            #expect(row.dropFirst(length).allSatisfy { $0 >= 0 && $0 < 96 })
        }
        let logProbabilities = try #require(a.logProbabilities)
        #expect(logProbabilities.allSatisfy { $0.allSatisfy { $0 <= 0 && $0.isFinite } })
    }

    @Test("the causal supervised loss falls under a few Adam steps")
    func supervisedLossFalls() throws {
        let model = try GPT2LMHeadModel.load(folder: CausalFixtures.folder("gpt2-tiny"))
        let prompts = [[5, 17, 42], [44, 9], [1, 2, 3, 4]]
        let targets = [[8, 60], [81, 3, 7], [5]]
        let optimizer = try Adam(module: model, learningRate: 1e-2)
        let first = try model.supervisedLoss(prompts: prompts, targets: targets)
        var last = first.item
        try optimizer.step(grads: first.backward())
        for _ in 0..<5 {
            let loss = try model.supervisedLoss(prompts: prompts, targets: targets)
            last = loss.item
            try optimizer.step(grads: loss.backward())
        }
        #expect(last < first.item - 0.5, "loss \(first.item) → \(last)")
    }

    @Test("the supervised loss is the causal loss over the target tokens only")
    func supervisedLossCountsTargets() throws {
        let model = try GPT2LMHeadModel.load(folder: CausalFixtures.folder("gpt2-tiny"))
        let loss = try Tensor.withNoGrad {
            try model.supervisedLoss(prompts: [[5, 17], [44]], targets: [[8], [81, 3]])
        }
        // By hand: log-probabilities of each target token from its own unpadded row.
        func logProbabilities(_ row: [Int], from start: Int) throws -> [Float] {
            let inputs = try CausalInputs(ids: [row], vocabularySize: model.vocabularySize)
            let logits = try Tensor.withNoGrad { try model.forward(inputs).logits }
            let rows = (start..<row.count).map { $0 - 1 }
            return try TokenLogProbabilities.gather(
                logits.reshaped([row.count, -1]).indexSelect(rows), targets: Array(row[start...])
            ).values
        }
        let picked = try logProbabilities([5, 17, 8], from: 2) + logProbabilities([44, 81, 3], from: 1)
        let expected = -picked.reduce(0, +) / Float(picked.count)
        #expect(Swift.abs(loss.item - expected) <= 1e-5, "\(loss.item) vs \(expected)")
    }

    @Test("the value-head policy scores response token t in column t", arguments: families)
    func policyColumns(name: String) throws {
        let model = try Self.load(name)
        let policy = model.withValueHead(seed: 1)
        let queries = [[5, 17, 42], [44]]
        let responses = [[8, 60], [81, 3, 7]]
        let pass = try Tensor.withNoGrad { try policy.forward(queries: queries, responses: responses) }
        #expect(pass.logProbabilities.shape == [2, 3])
        #expect(pass.values.shape == [2, 3])
        #expect(pass.logits.shape == [2, 3, 96])
        #expect(pass.mask.values == [1, 1, 0, 1, 1, 1])
        #expect(policy.responseMask(queries: queries, responses: responses).values == pass.mask.values)
        // Row 1 alone gives the same columns (alignment does not depend on the other rows).
        let alone = try Tensor.withNoGrad { try policy.forward(queries: [[44]], responses: [[81, 3, 7]]) }
        let difference = try TestSupport.maxAbsDifference(
            Array(pass.logProbabilities.values[3...]), alone.logProbabilities.values)
        #expect(difference <= 1e-5)
        let valueDifference = try TestSupport.maxAbsDifference(Array(pass.values.values[3...]), alone.values.values)
        #expect(valueDifference <= 1e-5)
        #expect(policy.stateDict().keys.contains("v_head.summary.weight"))
    }
}

/// `LanguageModelLoader` reads GPT-2 and GPT-Neo folders by `model_type` or `architectures`.
@Suite struct CausalLoaderTests {
    @Test func loaderDispatchesDecoderOnlyFamilies() throws {
        #expect(try LanguageModelLoader.load(folder: CausalFixtures.folder("gpt2-tiny")) is GPT2LMHeadModel)
        #expect(try LanguageModelLoader.load(folder: CausalFixtures.folder("gpt2-bin")) is GPT2LMHeadModel)
        #expect(try LanguageModelLoader.load(folder: CausalFixtures.folder("gpt-neo-tiny")) is GPTNeoForCausalLM)
        let policy = try LanguageModelLoader.loadPolicy(folder: CausalFixtures.folder("gpt2-tiny"), seed: 2)
        let gpt2 = try #require(policy as? CausalLMWithValueHead<GPT2LMHeadModel>)
        #expect(gpt2.valueHead.summary.weight.shape == [1, 32])
        #expect(LanguageModelLoader.architectureFamilies["GPT2LMHeadModel"] == "gpt2")
        #expect(LanguageModelLoader.architectureFamilies["GPTNeoForCausalLM"] == "gpt_neo")
    }
}

/// The decoder-only value-head policy against TRL 0.11.4 (`AutoModelForCausalLMWithValueHead` and
/// `PPOTrainer.batched_forward_pass` on a right-padded batch, `policy.json` of the fixtures): column
/// `t` of a row equals TRL's column `start + t`. Tolerance: log-probabilities and values 1e-5.
@Suite struct CausalPolicyParityTests {
    struct Policy: Decodable {
        let queries: [[Int]]
        let responses: [[Int]]
        let starts: [Int]
        let logprobs: [[Float]]
        let values: [[Float]]
        let masks: [[Int]]
    }

    @Test(
        "forward(queries:responses:) gives TRL's log-probabilities and values",
        arguments: CausalGenerationTests.families)
    func forwardMatchesTRL(name: String) throws {
        let folder = try CausalFixtures.folder(name)
        let reference = try JSONDecoder().decode(
            Policy.self, from: Data(contentsOf: folder.appendingPathComponent("policy.json")))
        let head = try SafeTensorsFile(url: folder.appendingPathComponent("value_head.safetensors")).tensors()
        let policy: any PolicyLanguageModel =
            name.hasPrefix("gpt2")
            ? try CausalLMWithValueHead(
                model: GPT2LMHeadModel.load(folder: folder), hiddenSize: 32, tensors: head, source: name)
            : try CausalLMWithValueHead(
                model: GPTNeoForCausalLM.load(folder: folder), hiddenSize: 32, tensors: head, source: name)
        let pass = try Tensor.withNoGrad {
            try policy.forward(queries: reference.queries, responses: reference.responses)
        }
        let columns = try #require(reference.responses.map(\.count).max())
        var logProbabilities: [Float] = []
        var values: [Float] = []
        var expectedLogProbabilities: [Float] = []
        var expectedValues: [Float] = []
        for (b, response) in reference.responses.enumerated() {
            let start = reference.starts[b]
            for t in 0..<response.count {
                #expect(reference.masks[b][start + t] == 1)
                logProbabilities.append(pass.logProbabilities.values[b * columns + t])
                values.append(pass.values.values[b * columns + t])
                expectedLogProbabilities.append(reference.logprobs[b][start + t])
                expectedValues.append(reference.values[b][start + t])
            }
        }
        try #require(!expectedValues.isEmpty)
        let logDifference = try TestSupport.maxAbsDifference(logProbabilities, expectedLogProbabilities)
        #expect(logDifference <= 1e-5, "\(name): log-probabilities differ by \(logDifference)")
        let valueDifference = try TestSupport.maxAbsDifference(values, expectedValues)
        #expect(valueDifference <= 1e-5, "\(name): values differ by \(valueDifference)")
        let maskCount = pass.mask.values.reduce(0, +)
        #expect(Int(maskCount) == reference.masks.flatMap { $0 }.reduce(0, +))
    }
}
