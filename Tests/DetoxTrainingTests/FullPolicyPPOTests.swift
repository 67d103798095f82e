import DetoxLoRA
import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTestFiles
import DetoxTraining
import Foundation
import Testing

/// PPO of a whole decoder-only policy against a frozen reference copy (TRL's
/// `create_reference_model`), and resumption from a checkpoint for full and LoRA policies.
@Suite struct FullPolicyPPOTests {
    static let steps = 3

    /// A tiny random GPT-2 (vocab 96, hidden 32, 2 blocks) with a value head; with `lora`, an
    /// adapter (r 4) on `c_attn` and `c_fc` and the base frozen.
    static func policy(lora: Bool) throws -> any PolicyLanguageModel {
        let configuration = try GPT2Configuration(
            vocabularySize: 96, positionCount: 64, hiddenSize: 32, layerCount: 2, headCount: 4, bosTokenID: 95,
            eosTokenID: 95)
        let model = try GPT2LMHeadModel(configuration: configuration, seed: 4)
        if lora {
            var generator = SeededGenerator(seed: 5)
            try LoRA.apply(
                LoRAConfiguration(rank: 4, alpha: 8, targets: .names(["c_attn", "c_fc"]), taskType: "CAUSAL_LM"),
                to: model, generator: &generator)
        }
        return model.withValueHead(seed: 6)
    }

    static func configuration() -> PPOConfiguration {
        var c = PPOConfiguration()
        c.learningRate = 1e-2
        c.batchSize = 4
        c.miniBatchSize = 2
        c.ppoEpochs = 2
        c.seed = 3
        return c
    }

    /// Step `index`'s batch: queries of 3–8 tokens, responses of 2–6, scores from a normal.
    static func batch(_ index: Int) -> PPOBatch {
        var generator = SeededGenerator(seed: 100 + UInt64(index))
        let queries = (0..<4).map { _ in
            (0..<(3 + generator.nextInt(below: 6))).map { _ in generator.nextInt(below: 95) }
        }
        let responses = (0..<4).map { _ in
            (0..<(2 + generator.nextInt(below: 5))).map { _ in generator.nextInt(below: 96) }
        }
        return PPOBatch(queries: queries, responses: responses, scores: (0..<4).map { _ in generator.nextNormal() })
    }

    static func reference(lora: Bool) -> PPOReferencePolicy { lora ? .adapterDisabled : .frozenCopy(sharedLayers: 1) }

    /// After a step with one shared block, the shared parameters (embeddings, block 0) are frozen and
    /// bit-identical in the policy, the reference and the initial model; every other parameter of the
    /// policy moved while the reference kept the initial values; the first step's KL is exactly 0.
    @Test func sharedLayersStayFrozenAndTheRestTrains() throws {
        let policy = try Self.policy(lora: false)
        let initial = policy.stateDict()
        let trainer = try PPOTrainer(
            policy: policy, reference: .frozenCopy(sharedLayers: 1), configuration: Self.configuration())
        let reference = try #require(trainer.frozenReference)
        let stats = try trainer.step(Self.batch(0))
        #expect(stats["objective/kl"] == 0)

        let shared = Set(reference.sharedNames)
        #expect(shared.contains("transformer.wte.weight") && shared.contains("transformer.h.0.attn.c_attn.weight"))
        #expect(!shared.contains { $0.hasPrefix("transformer.h.1.") || $0.hasPrefix("v_head.") })
        let now = policy.stateDict()
        let referenceState = reference.stateDict()
        try #require(!initial.isEmpty)
        #expect(Set(now.keys) == Set(initial.keys) && Set(referenceState.keys) == Set(initial.keys))
        for (name, parameter) in policy.parameters() {
            let before = try #require(initial[name]).values
            let after = try #require(now[name]).values
            let frozen = try #require(referenceState[name]).values
            if shared.contains(name) {
                #expect(!parameter.isTrainable, "\(name) is shared but trainable")
                #expect(after == before && frozen == before, "\(name) is shared but changed")
            } else {
                #expect(parameter.isTrainable, "\(name) should train")
                #expect(after != before, "\(name) did not move")
                #expect(frozen == before, "the reference's \(name) changed")
            }
        }
        #expect(trainer.optimizer.parameters.count == policy.parameters().count - shared.count)
    }

    /// With no shared layer every parameter trains and the reference is a whole frozen copy.
    @Test func frozenCopyWithoutSharingTrainsEverything() throws {
        let policy = try Self.policy(lora: false)
        let trainer = try PPOTrainer(
            policy: policy, reference: .frozenCopy(sharedLayers: nil), configuration: Self.configuration())
        #expect(trainer.frozenReference?.sharedNames.isEmpty == true)
        #expect(trainer.optimizer.parameters.count == policy.parameters().count)
        let stats = try trainer.step(Self.batch(0))
        #expect(stats["objective/kl"] == 0)
        let second = try trainer.step(Self.batch(1))
        #expect(try #require(second["objective/kl"]) != 0)
    }

    /// Three steps in one go equal one step, a checkpoint, a new trainer on a new copy of the
    /// initial model resumed from it, and two more steps: every parameter bit for bit.
    @Test(arguments: [false, true])
    func resumesToBitIdenticalParameters(lora: Bool) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let weights: CheckpointWeights =
            lora
            ? .adapter(
                LoRAConfiguration(rank: 4, alpha: 8, targets: .names(["c_attn", "c_fc"]), taskType: "CAUSAL_LM"))
            : .fullModel(copyingFilesFrom: nil)

        let straight = try Self.policy(lora: lora)
        let straightTrainer = try PPOTrainer(
            policy: straight, reference: Self.reference(lora: lora), configuration: Self.configuration())
        var straightStats: [String: Double] = [:]
        for index in 0..<Self.steps { straightStats = try straightTrainer.step(Self.batch(index)) }

        let first = try Self.policy(lora: lora)
        let firstTrainer = try PPOTrainer(
            policy: first, reference: Self.reference(lora: lora), configuration: Self.configuration())
        _ = try firstTrainer.step(Self.batch(0))
        var sampler = SeededGenerator(seed: 77)
        _ = sampler.nextInt(below: 10)
        let checkpoint = folder.file("checkpoint")
        try firstTrainer.writeCheckpoint(to: checkpoint, weights: weights, generators: ["sampler": sampler])
        let saved = lora ? "adapter/adapter_model.safetensors" : "model/model.safetensors"
        #expect(FileManager.default.fileExists(atPath: checkpoint.appendingPathComponent(saved).path))

        let resumed = try Self.policy(lora: lora)
        let resumedTrainer = try PPOTrainer(
            policy: resumed, reference: Self.reference(lora: lora), configuration: Self.configuration())
        let restored = try resumedTrainer.resume(from: checkpoint)
        #expect(resumedTrainer.stepCount == 1)
        var restoredSampler = try #require(restored.generators["sampler"])
        #expect(restoredSampler.nextInt(below: 1000) == sampler.nextInt(below: 1000))
        var resumedStats: [String: Double] = [:]
        for index in 1..<Self.steps { resumedStats = try resumedTrainer.step(Self.batch(index)) }

        let expected = straight.stateDict()
        let actual = resumed.stateDict()
        try #require(!expected.isEmpty)
        #expect(Set(actual.keys) == Set(expected.keys))
        for (name, tensor) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(actual[name]?.values == tensor.values, "\(name) differs after resuming")
        }
        let initial = try Self.policy(lora: lora).stateDict()
        #expect(expected.contains { name, tensor in initial[name]?.values != tensor.values }, "nothing trained")
        for key in ["objective/kl", "ppo/loss/total", "objective/kl_coef"] {
            #expect(resumedStats[key] == straightStats[key], "\(key)")
        }
    }

    /// A full-model checkpoint's `model/` folder loads as a policy (value head included) with the
    /// source folder's configuration copied beside the weights.
    @Test func fullModelCheckpointIsALoadableModelFolder() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let source = try CausalPPOParityTests.folder().appendingPathComponent("gpt2-value-head")
        let policy = try LanguageModelLoader.loadPolicy(folder: source)
        let trainer = try PPOTrainer(
            policy: policy, reference: .frozenCopy(sharedLayers: 0), configuration: Self.configuration())
        _ = try trainer.step(Self.batch(0))
        let checkpoint = folder.file("checkpoint")
        try trainer.writeCheckpoint(to: checkpoint, weights: .fullModel(copyingFilesFrom: source))
        let reloaded = try LanguageModelLoader.loadPolicy(
            folder: TrainingCheckpoint.modelFolder(of: checkpoint), seed: 99)
        let expected = policy.stateDict()
        let actual = reloaded.stateDict()
        try #require(!expected.isEmpty)
        #expect(Set(actual.keys) == Set(expected.keys))
        for (name, tensor) in expected { #expect(actual[name]?.values == tensor.values, "\(name)") }
    }

    /// A frozen-copy trainer cannot resume from an adapter-only checkpoint of another policy.
    @Test func resumingFromAMismatchedCheckpointIsATypedError() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let lora = try PPOTrainer(
            policy: Self.policy(lora: true), reference: .adapterDisabled, configuration: Self.configuration())
        try lora.writeCheckpoint(
            to: folder.file("checkpoint"),
            weights: .adapter(LoRAConfiguration(rank: 4, alpha: 8, targets: .names(["c_attn", "c_fc"]))))
        let full = try PPOTrainer(
            policy: Self.policy(lora: false), reference: .frozenCopy(sharedLayers: 1),
            configuration: Self.configuration())
        #expect(throws: TrainingError.self) { try full.resume(from: folder.file("checkpoint")) }
        #expect(throws: TrainingError.self) {
            try PPOTrainer(
                policy: Self.policy(lora: false), reference: .adapterDisabled, configuration: Self.configuration())
        }
    }
}
