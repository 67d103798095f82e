import DetoxLoRA
import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTraining
import Foundation
import Testing

/// A policy family declared outside DetoxModels, through the public protocol only: here it forwards
/// to a T5 policy, so its training must match T5's to the bit.
final class ForwardingPolicy: PolicyLanguageModel {
    let inner: T5WithValueHead
    init(_ inner: T5WithValueHead) { self.inner = inner }

    var namedChildren: [(name: String, module: any Module)] { inner.namedChildren }
    var model: T5ForConditionalGeneration { inner.model }
    var valueHead: T5ValueHead { inner.valueHead }
    var minimumResponseLength: Int { inner.minimumResponseLength }

    func forward(queries: [[Int]], responses: [[Int]]) throws -> PolicyForwardPass {
        try inner.forward(queries: queries, responses: responses)
    }

    func responseMask(queries: [[Int]], responses: [[Int]]) -> Tensor {
        inner.responseMask(queries: queries, responses: responses)
    }
}

@Suite struct OutsidePolicyTests {
    /// The trainer reaches the policy only through `PolicyLanguageModel`: a conformer from another
    /// module trains exactly as the T5 policy it wraps (same statistics, same trained value head).
    @Test func aConformerFromAnotherModuleTrainsLikeT5() throws {
        let tokenizer = try TinyWorld.tokenizer()
        let reward = try RewardModel(
            classifier: TokenPenaltyClassifier(penalized: Set(3..<30)), tokenizer: tokenizer, label: "clean")
        let direct = try PPOTrainer(policy: PPOTrainerTests.policy(), configuration: PPOTrainerTests.configuration())
        let wrapped = try PPOTrainer(
            policy: ForwardingPolicy(PPOTrainerTests.policy()), configuration: PPOTrainerTests.configuration())
        for step in 0..<3 {
            let a = try PPOTrainerTests.rollout(direct, reward: reward, tokenizer: tokenizer, seed: UInt64(step))
            let b = try PPOTrainerTests.rollout(wrapped, reward: reward, tokenizer: tokenizer, seed: UInt64(step))
            let statistics = a.keys.filter { !$0.hasPrefix("time/") }
            #expect(!statistics.isEmpty)
            for key in statistics {
                #expect(a[key] == b[key], "step \(step): \(key) \(a[key] ?? .nan) ≠ \(b[key] ?? .nan)")
            }
        }
        #expect(
            direct.policy.valueHead.stateDict().mapValues(\.values)
                == wrapped.policy.valueHead.stateDict().mapValues(\.values))
    }
}
