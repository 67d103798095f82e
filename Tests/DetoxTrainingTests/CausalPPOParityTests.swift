import DetoxCheckpoints
import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTestSupport
import DetoxTraining
import Foundation
import Testing

/// Decoder-only PPO against trl 0.11.4 on a tiny random GPT-2 with a value head
/// (`Scripts/fixtures/make_causal_ppo_fixtures.py`, `Fixtures/causal-ppo/`). Column `t` of a Detox row
/// is TRL's column `start + t`. Tolerance: 1e-5 absolute on log-probabilities and values, 1e-5
/// relative and absolute on rewards, advantages, returns, losses and statistics.
@Suite struct CausalPPOParityTests {
    struct Case: Decodable {
        let queries: [[Int]]
        let responses: [[Int]]
        let starts: [Int]
        let masks: [[Int]]
    }

    struct Step: Decodable {
        let minibatches: [[Int]]
        let losses: [[String: Double]]
        let stats: [String: Double]
    }

    struct Split: Decodable {
        let frozen: [String]
        let trainable: [String]
    }

    struct Reference: Decodable {
        let cases: [String: Case]
        let step: Step
        let createReferenceModel: [String: Split]

        enum CodingKeys: String, CodingKey {
            case cases, step
            case createReferenceModel = "create_reference_model"
        }
    }

    static func folder() throws -> URL {
        try #require(Bundle.module.url(forResource: "causal-ppo", withExtension: nil, subdirectory: "Fixtures"))
    }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(
            Reference.self, from: Data(contentsOf: folder().appendingPathComponent("causal_ppo.json")))
    }

    static func tensors() throws -> SafeTensorsFile {
        try SafeTensorsFile(url: folder().appendingPathComponent("causal_ppo.safetensors"))
    }

    /// The fixture's GPT-2 with TRL's value head, read as the pipeline reads a policy folder.
    static func policy() throws -> any PolicyLanguageModel {
        try LanguageModelLoader.loadPolicy(folder: folder().appendingPathComponent("gpt2-value-head"))
    }

    /// TRL's `[B, W, ...]` tensor in Detox's layout `[B, T, ...]`: row `b`'s columns
    /// `start_b ..< start_b + len(response_b)`, zeros after.
    static func responseAligned(_ t: Tensor, starts: [Int], lengths: [Int]) -> Tensor {
        let rows = t.shape[0]
        let width = t.shape[1]
        let inner = t.shape.dropFirst(2).reduce(1, *)
        let columns = lengths.max() ?? 0
        let values = t.values
        var result = [Float](repeating: 0, count: rows * columns * inner)
        for b in 0..<rows {
            for c in 0..<lengths[b] {
                let from = (b * width + starts[b] + c) * inner
                let to = (b * columns + c) * inner
                result.replaceSubrange(to..<(to + inner), with: values[from..<(from + inner)])
            }
        }
        return Tensor(result, shape: [rows, columns] + Array(t.shape.dropFirst(2)))
    }

    /// The entries of a `[B, T]` tensor inside the response mask, row by row.
    static func masked(_ t: Tensor, lengths: [Int]) -> [Float] {
        let columns = t.shape[1]
        return lengths.enumerated().flatMap { b, n in (0..<n).map { t.values[b * columns + $0] } }
    }

    /// Log-probabilities, values and masks of `batched_forward_pass`: with no row padded (TRL passes
    /// no position ids, and none are needed), with left padding (the reference given generation's
    /// mask-derived position ids, which Detox always uses), and right-padded (GPT-2's tokenizer's
    /// side, TRL's own layout, whose positions need no ids either).
    @Test(arguments: ["unpadded", "left_padded", "right_padded"])
    func forwardPassMatchesTRL(_ name: String) throws {
        let reference = try #require(try Self.reference().cases[name])
        let file = try Self.tensors()
        let policy = try Self.policy()
        let pass = try Tensor.withNoGrad {
            try policy.forward(queries: reference.queries, responses: reference.responses)
        }
        let lengths = reference.responses.map(\.count)
        try #require(!lengths.isEmpty)
        for (b, n) in lengths.enumerated() {
            let start = reference.starts[b]
            let trlMask = reference.masks[b]
            #expect(trlMask[start..<(start + n)].allSatisfy { $0 == 1 }, "\(name) row \(b)")
            #expect(trlMask.reduce(0, +) == n, "\(name) row \(b): TRL masks \(trlMask.reduce(0, +)) positions")
        }
        #expect(
            pass.mask.values
                == Self.responseAligned(
                    Tensor(
                        reference.masks.flatMap { $0.map(Float.init) },
                        shape: [lengths.count, reference.masks[0].count]),
                    starts: reference.starts, lengths: lengths
                ).values)
        for (key, ours) in [("logprobs", pass.logProbabilities), ("values", pass.values)] {
            let theirs = Self.responseAligned(
                try file.tensor("\(name).\(key)"), starts: reference.starts, lengths: lengths)
            let difference = try TestSupport.maxAbsDifference(
                Self.masked(ours, lengths: lengths), Self.masked(theirs, lengths: lengths))
            #expect(difference <= 1e-5, "\(name) \(key) differ by \(difference)")
        }
    }

    /// `compute_rewards` (KL penalty 0.2), `compute_advantages` (γ 1, λ 0.95), `loss` over two
    /// minibatches and `record_step_stats`, fed the left-padded batch's outputs in Detox's layout.
    @Test func stepArithmeticMatchesTRL() throws {
        let reference = try Self.reference()
        let batch = try #require(reference.cases["left_padded"])
        let file = try Self.tensors()
        let lengths = batch.responses.map(\.count)
        func aligned(_ key: String) throws -> Tensor {
            Self.responseAligned(try file.tensor(key), starts: batch.starts, lengths: lengths)
        }
        func expectClose(_ ours: Tensor, _ key: String) throws {
            let problem = TestSupport.closeness(
                Self.masked(ours, lengths: lengths), Self.masked(try aligned(key), lengths: lengths), rtol: 1e-5,
                atol: 1e-5)
            #expect(problem == nil, "\(key): \(problem ?? "")")
        }
        let mask = PolicyLayoutMask.mask(lengths)
        let logprobs = try aligned("left_padded.logprobs")
        let values = try aligned("left_padded.values")
        let scores = try file.tensor("scores").values
        let (rewards, nonScore, kls) = try PPOMath.rewards(
            scores: scores, logprobs: logprobs, refLogprobs: try aligned("ref_logprobs"), mask: mask,
            klCoefficient: 0.2,
            kind: .kl)
        try expectClose(rewards, "rewards")
        try expectClose(nonScore, "non_score")
        try expectClose(kls, "kls")
        let targets = try PPOMath.advantages(
            values: values, rewards: rewards, mask: mask, gamma: 1, lambda: 0.95, whitenRewards: false)
        try expectClose(targets.values, "adv_values")
        try expectClose(targets.advantages, "advantages")
        try expectClose(targets.returns, "returns")

        try #require(reference.step.minibatches.count == reference.step.losses.count)
        var minibatches: [PPOLossStatistics] = []
        for (rows, expected) in zip(reference.step.minibatches, reference.step.losses) {
            func pick(_ t: Tensor) -> Tensor { t.indexSelect(rows) }
            let (policyLoss, valueLoss, stats) = try PPOMath.loss(
                oldLogprobs: pick(logprobs), values: pick(targets.values), logits: pick(try aligned("logits")),
                vpreds: pick(try aligned("vpreds")), logprobs: pick(try aligned("new_logprobs")), mask: pick(mask),
                advantages: pick(targets.advantages), returns: pick(targets.returns), cliprange: 0.2,
                cliprangeValue: 0.2, vfCoefficient: 0.1, ratioThreshold: 10)
            for (ours, key) in [(policyLoss.item, "pg_loss"), (valueLoss.item, "vf_loss_scaled")] {
                let theirs = try #require(expected[key])
                #expect(Swift.abs(Double(ours) - theirs) <= 1e-5 * Swift.max(1, Swift.abs(theirs)), "\(key)")
            }
            minibatches.append(stats)
        }
        let doubles = scores.map(Double.init)
        let stats = PPOStatistics.record(
            klCoefficient: 0.2, scores: doubles, rawScores: doubles, logprobs: logprobs,
            referenceLogprobs: try aligned("ref_logprobs"), nonScoreRewards: nonScore, kls: kls, mask: mask,
            queryLengths: batch.queries.map(\.count), responseLengths: lengths, minibatches: minibatches)
        try #require(!reference.step.stats.isEmpty)
        for (key, value) in reference.step.stats.sorted(by: { $0.key < $1.key }) {
            let ours = try #require(stats[key], "\(key) is missing")
            #expect(Swift.abs(ours - value) <= 1e-5 * Swift.max(1, Swift.abs(value)), "\(key): \(ours) vs \(value)")
        }
    }

    /// `create_reference_model(model, num_shared_layers: N)` freezes the same parameters in the
    /// policy (the embeddings and blocks before N) and leaves the same ones trainable.
    @Test(arguments: [0, 1])
    func referenceSharesTRLsParameters(_ shared: Int) throws {
        let split = try #require(try Self.reference().createReferenceModel[String(shared)])
        let policy = try Self.policy()
        let reference = try FrozenReference(policy: policy, sharedLayers: shared)
        let parameters = policy.parameters()
        try #require(!parameters.isEmpty)
        #expect(parameters.filter { !$0.parameter.isTrainable }.map(\.name) == split.frozen)
        #expect(parameters.filter { $0.parameter.isTrainable }.map(\.name) == split.trainable)
        #expect(reference.sharedNames == split.frozen)
    }

    /// A block number the model lacks is TRL's "Layer pattern could not be matched", as a typed error.
    @Test func unmatchedLayerPatternIsATypedError() throws {
        #expect(throws: TrainingError.self) { try FrozenReference(policy: try Self.policy(), sharedLayers: 2) }
        #expect(throws: TrainingError.self) { try FrozenReference(policy: try Self.policy(), sharedLayers: -1) }
        #expect(throws: TrainingError.self) {
            try FrozenReference(policy: try Self.policy(), sharedLayers: 0, pattern: "decoder.block.{layer}")
        }
    }
}

/// Detox's response mask: 1 on each row's first `length` columns.
enum PolicyLayoutMask {
    static func mask(_ lengths: [Int]) -> Tensor {
        let columns = lengths.max() ?? 0
        return Tensor(
            lengths.flatMap { n in (0..<columns).map { $0 < n ? Float(1) : 0 } }, shape: [lengths.count, columns])
    }
}
