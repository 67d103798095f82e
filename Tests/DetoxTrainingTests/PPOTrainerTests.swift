import DetoxLoRA
import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTokenizers
import DetoxTraining
import Foundation
import Testing

/// A "classifier" that finds a chosen set of words: logits `[−n, n]` for labels
/// `[clean, toxic]`, `n` the number of penalized tokens in the text.
final class TokenPenaltyClassifier: SequenceClassifier {
    let penalized: Set<Int>
    init(penalized: Set<Int>) { self.penalized = penalized }
    var labels: [String] { ["clean", "toxic"] }
    func logits(_ batch: ClassifierBatch) throws -> Tensor {
        var values: [Float] = []
        for (row, mask) in zip(batch.inputIDs, batch.attentionMask) {
            let n = Float(zip(row, mask).filter { $1 == 1 && penalized.contains($0) }.count)
            values += [-n, n]
        }
        return Tensor(values, shape: [batch.batchSize, 2])
    }
}

@Suite struct PPOTrainerTests {
    static func policy(seed: UInt64 = 9) throws -> T5WithValueHead {
        let model = try T5ForConditionalGeneration(configuration: TinyWorld.configuration(dropout: 0), seed: seed)
        var generator = SeededGenerator(seed: seed)
        try LoRA.apply(
            LoRAConfiguration(rank: 4, alpha: 8, targets: .names(["q", "v", "o", "wo"])), to: model,
            generator: &generator)
        return T5WithValueHead(model: model, seed: seed)
    }

    static func configuration() -> PPOConfiguration {
        var c = PPOConfiguration()
        c.learningRate = 1e-2
        c.batchSize = 8
        c.miniBatchSize = 4
        c.ppoEpochs = 4
        c.seed = 1
        return c
    }

    static let prompts = TinyWorld.dialogues(count: 8).map { "summarize: " + $0.dialogue }

    /// Generates, scores and steps once; returns the step's statistics and the mean reward.
    static func rollout(_ trainer: PPOTrainer, reward: RewardModel, tokenizer: Tokenizer, seed: UInt64) throws
        -> [String: Double]
    {
        let queries = prompts.map { tokenizer.encode($0).ids }
        var generation = GenerationConfig(doSample: true, topK: 0, topP: 1, maxNewTokens: 6, eosTokenID: -1, seed: seed)
        generation.returnLogProbabilities = false
        let maxLength = queries.map(\.count).max() ?? 0
        let output = try trainer.policy.model.generate(
            inputIDs: queries.map { $0 + Array(repeating: 0, count: maxLength - $0.count) },
            attentionMask: queries.map {
                Array(repeating: 1, count: $0.count) + Array(repeating: 0, count: maxLength - $0.count)
            },
            configuration: generation)
        let responses = output.sequences
        let texts = responses.map { tokenizer.decode(Array($0.dropFirst()), skipSpecialTokens: true) }
        let scores = try reward.scores(texts)
        return try trainer.step(PPOBatch(queries: queries, responses: responses, scores: scores))
    }

    /// Thirty PPO steps against a reward that penalizes 27 of the 64 token ids (decoded words only)
    /// at least halve the penalty — the mean reward of the last five steps is above half that of the
    /// first five and at least 0.5 higher (measured: −1.125 → −0.275) — with a finite KL; and at step 0,
    /// with a fresh adapter, the policy equals the reference exactly (KL = 0).
    @Test func rewardRisesAndKLStartsAtZero() throws {
        let tokenizer = try TinyWorld.tokenizer()
        let penalized = Set(3..<30)
        let reward = try RewardModel(
            classifier: TokenPenaltyClassifier(penalized: penalized), tokenizer: tokenizer, label: "clean")
        let trainer = try PPOTrainer(policy: Self.policy(), configuration: Self.configuration())
        var rewards: [Double] = []
        for step in 0..<30 {
            let stats = try Self.rollout(trainer, reward: reward, tokenizer: tokenizer, seed: UInt64(step))
            if step == 0 {
                #expect(stats["objective/kl"] == 0, "KL at step 0 is \(stats["objective/kl"] ?? .nan)")
                #expect(stats["objective/logprobs"] == stats["objective/ref_logprobs"])
            }
            #expect(stats["objective/kl"]?.isFinite == true)
            rewards.append(stats["env/reward_mean"] ?? .nan)
        }
        let early = rewards.prefix(5).reduce(0, +) / 5
        let late = rewards.suffix(5).reduce(0, +) / 5
        #expect(late - early >= 0.5 && late > early / 2, "mean reward \(early) → \(late)")
    }

    /// With a learning rate too small to move any parameter, every minibatch's recomputed (or, for
    /// the first, reused) log-probabilities equal the old ones row for row, so the ratio is exactly
    /// 1: no approximate KL and nothing clipped. Rows matched up wrongly would show here.
    @Test func oldLogProbabilitiesLineUpWithEachMinibatch() throws {
        let tokenizer = try TinyWorld.tokenizer()
        let reward = try RewardModel(
            classifier: TokenPenaltyClassifier(penalized: Set(3..<30)), tokenizer: tokenizer, label: "clean")
        var c = Self.configuration()
        c.learningRate = 1e-30
        c.miniBatchSize = 2
        let trainer = try PPOTrainer(policy: Self.policy(), configuration: c)
        for step in 0..<2 {
            let stats = try Self.rollout(trainer, reward: reward, tokenizer: tokenizer, seed: UInt64(step))
            #expect(
                stats["ppo/policy/approxkl"] == 0, "approxkl \(stats["ppo/policy/approxkl"] ?? .nan) at step \(step)")
            #expect(stats["ppo/policy/clipfrac"] == 0)
            #expect(stats["ppo/policy/policykl"] == 0)
        }
    }

    @Test func invalidBatchesAndSettingsAreTypedErrors() throws {
        var c = Self.configuration()
        c.miniBatchSize = 3
        #expect(throws: TrainingError.self) { try PPOTrainer(policy: Self.policy(), configuration: c) }
        let plain = T5WithValueHead(
            model: try T5ForConditionalGeneration(configuration: TinyWorld.configuration(), seed: 1))
        #expect(throws: TrainingError.self) { try PPOTrainer(policy: plain, configuration: Self.configuration()) }
        let trainer = try PPOTrainer(policy: Self.policy(), configuration: Self.configuration())
        #expect(throws: TrainingError.self) {
            try trainer.step(PPOBatch(queries: [[1]], responses: [[0, 1]], scores: [0]))
        }
        #expect(throws: TrainingError.self) {
            try RewardModel(
                classifier: TokenPenaltyClassifier(penalized: []), tokenizer: try TinyWorld.tokenizer(),
                label: "nothate")
        }
    }

    @Test func lengthSamplerExcludesItsUpperBound() throws {
        let sampler = try LengthSampler(3, 6)
        var generator = SeededGenerator(seed: 0)
        let draws = (0..<500).map { _ in sampler.sample(&generator) }
        #expect(Set(draws) == [3, 4, 5])
        #expect(throws: TrainingError.self) { try LengthSampler(5, 5) }
    }

    /// A decoded sampler goes through the same check as a built one: a file cannot give an empty,
    /// zero or negative range.
    @Test func decodedLengthSamplerIsChecked() throws {
        let sampler = try LengthSampler(3, 6)
        let decoded = try JSONDecoder().decode(LengthSampler.self, from: try JSONEncoder().encode(sampler))
        #expect(decoded == sampler)
        for bad in [#"{"range": [5, 5]}"#, #"{"range": [0, 4]}"#, #"{"range": [-3, 2]}"#] {
            #expect(throws: TrainingError.self) { try JSONDecoder().decode(LengthSampler.self, from: Data(bad.utf8)) }
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(LengthSampler.self, from: Data(#"{"range": [6, 2]}"#.utf8))
        }
    }
}
