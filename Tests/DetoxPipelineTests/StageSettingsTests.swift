import DetoxDatasets
import DetoxLoRA
import DetoxTestFiles
import DetoxTraining
import Foundation
import Testing

@testable import DetoxPipeline

/// Recipes read into each stage's settings: a key the recipe gives wins, a key it leaves out keeps
/// the stage's default, and `stage.json` records the settings as the first release did.
@Suite struct StageSettingsTests {
    static let base = "output: out\nmodel: m\ndataset: {train: t.csv, test: t.csv}\n"

    static func recipe(_ text: String) throws -> Recipe {
        let scratch = try TemporaryFolder()
        defer { scratch.cleanUp() }
        let folder = scratch.url
        return try Recipe(contentsOf: RecipeTests.write(base + text, in: folder))
    }

    @Test func aSectionWithoutKeysKeepsTheStageDefaults() throws {
        let recipe = try Self.recipe(
            "stages:\n  zero_shot: {}\n  finetune: {}\n  ppo: {reward_model: r}\n  evaluate: {toxicity_model: t}\n")
        // What a recipe always sets: its prompt, its seed and (for the adapters) its model and T5's
        // q, v targets (the stages' own default is the model family's PEFT default).
        var zeroShot = SummarizeStage.Settings()
        zeroShot.template = .summarize
        #expect(recipe.zeroShot?.settings == zeroShot)
        var fineTune = FineTuneStage.Settings()
        fineTune.template = .summarize
        fineTune.adapter.baseModelNameOrPath = "m"
        fineTune.adapter.targets = .names(["q", "v"])
        fineTune.trainer.seed = 42
        #expect(recipe.fineTune?.settings == fineTune)
        var ppo = PPOStage.Settings()
        ppo.adapter.baseModelNameOrPath = "m"
        ppo.adapter.targets = .names(["q", "v"])
        ppo.ppo.seed = 42
        #expect(recipe.ppo?.settings == ppo)
        #expect(recipe.evaluate?.settings == EvaluateStage.Settings())
        #expect(FineTuneStage.Settings().adapter.targets == .familyDefault)
        #expect(PPOStage.Settings().adapter.targets == .familyDefault)
        // The course lab's PPO, with TRL's learning rate.
        #expect(ppo.ppo.learningRate == PPOConfiguration().learningRate)
        #expect(ppo.ppo.batchSize == 16 && ppo.ppo.miniBatchSize == 4 && ppo.ppo.ppoEpochs == 4)
        #expect(ppo.rewardLabel == "nothate" && ppo.adapter.rank == 32 && ppo.adapter.alpha == 32)
        #expect(ppo.lengthSampler.range == 100..<400)
    }

    @Test func recipeValuesWin() throws {
        let recipe = try Self.recipe(
            """
            seed: 9
            stages:
              finetune: {lora: {rank: 4, dropout: 0.1, targets: [q, k]}, learning_rate: 2.0e-4, evaluate_every: 7, dialogue_length: [10, 20]}
              ppo: {reward_model: r, reward_label: ok, mini_batch_size: 8, learning_rate: 3.0e-5, normalize_scores: true, lengths: [5, 9], kl_penalty: abs, quantize: nf4}
              evaluate: {toxicity_model: t, sample: true, max_new_tokens: 12}
            """)
        let fineTune = try #require(recipe.fineTune?.settings)
        #expect(fineTune.adapter.rank == 4 && fineTune.adapter.alpha == 32 && fineTune.adapter.dropout == 0.1)
        #expect(fineTune.adapter.targets == .names(["q", "k"]))
        #expect(fineTune.trainer.learningRate == 2e-4 && fineTune.trainer.seed == 9)
        #expect(fineTune.trainer.evaluateEvery == 7 && fineTune.trainer.checkpointEvery == 7)
        #expect(fineTune.dialogueLength == 10...20)
        let ppo = try #require(recipe.ppo?.settings)
        #expect(ppo.rewardLabel == "ok" && ppo.ppo.miniBatchSize == 8 && ppo.ppo.batchSize == 16)
        #expect(ppo.ppo.learningRate == 3e-5 && ppo.ppo.useScoreScaling && ppo.ppo.useScoreNorm)
        #expect(ppo.lengthSampler.range == 5..<9 && ppo.ppo.klPenalty == .abs && ppo.quantization == .nf4)
        #expect(ppo.ppo.seed == 9)
        let evaluate = try #require(recipe.evaluate?.settings)
        #expect(evaluate.generation.doSample && evaluate.generation.topK == 0 && evaluate.generation.seed == 9)
        #expect(evaluate.generation.maxNewTokens == 12)
        // Without its own reward_label, evaluation scores the label PPO trained for.
        #expect(evaluate.rewardLabel == "ok")
    }

    @Test func evaluationRewardLabelComesFromTheRecipeThenPPOThenTheDefault() throws {
        let own = try Self.recipe(
            "stages:\n  ppo: {reward_model: r, reward_label: ok}\n  evaluate: {toxicity_model: t, reward_label: fine}\n"
        )
        #expect(own.evaluate?.settings.rewardLabel == "fine")
        let alone = try Self.recipe("stages:\n  evaluate: {toxicity_model: t}\n")
        #expect(alone.evaluate?.settings.rewardLabel == PPOStage.Settings().rewardLabel)
    }

    @Test func badValuesAndUnknownKeysNameTheirKeyPath() throws {
        let scratch = try TemporaryFolder()
        defer { scratch.cleanUp() }
        let folder = scratch.url
        let cases: [(String, String, String)] = [
            ("ppo: {reward_model: r, lora: {rank: x}}", "stages.ppo.lora.rank", "expected an integer, found \"x\""),
            ("ppo: {reward_model: r, lora: {dropout: 0.1}}", "stages.ppo.lora.dropout", "unknown key"),
            ("ppo: {reward_model: r, kl_penalty: huber}", "stages.ppo.kl_penalty", "expected kl, abs, mse or full"),
            (
                "ppo: {reward_model: r, reward_output: raw}", "stages.ppo.reward_output",
                "expected logit, probability or margin"
            ),
            ("ppo: {reward_model: r, lengths: [9, 5]}", "stages.ppo.lengths", "expected [min, max] with min < max"),
            ("ppo: {reward_model: r, lengths: [0, 5]}", "stages.ppo.lengths", "expected a positive min"),
            ("ppo: {reward_model: r, dialogue_length: [5]}", "stages.ppo.dialogue_length", "expected [min, max]"),
            ("ppo: {steps: 3}", "stages.ppo.reward_model", "missing"),
            (
                "finetune: {learning_rate: fast}", "stages.finetune.learning_rate",
                "expected a finite number, found \"fast\""
            ),
            (
                "ppo: {reward_model: r, learning_rate: nan}", "stages.ppo.learning_rate",
                "expected a finite number, found \"nan\""
            ),
            (
                "ppo: {reward_model: r, init_kl_coef: -inf}", "stages.ppo.init_kl_coef",
                "expected a finite number, found \"-inf\""
            ),
            ("finetune: {lora: {rank: 4, alpah: 8}}", "stages.finetune.lora.alpah", "unknown key"),
            (
                "evaluate: {toxicity_model: t, sample: maybe}", "stages.evaluate.sample",
                "expected true or false, found \"maybe\""
            ),
            ("zero_shot: {limit: 2, temperature: 1}", "stages.zero_shot.temperature", "unknown key"),
        ]
        for (stage, keyPath, reason) in cases {
            let url = try RecipeTests.write(Self.base + "stages:\n  " + stage + "\n", in: folder)
            #expect(throws: RecipeError.invalid(file: url.path, keyPath: keyPath, reason: reason)) {
                try Recipe(contentsOf: url)
            }
        }
    }

    /// `stage.json` keeps its bytes, so runs made before are still recognized as finished.
    /// `expected.txt` was written by the first release's recipe code for these recipes.
    @Test func stageRecordsMatchTheFirstRelease() throws {
        let fixtures = try #require(
            Bundle.module.url(forResource: "stage-records", withExtension: nil, subdirectory: "Fixtures"))
        let recipes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("recipes")
        let files = [
            recipes.appendingPathComponent("dialogsum-t5-small.yaml"),
            recipes.appendingPathComponent("dialogsum-flan-t5-base.yaml"),
            fixtures.appendingPathComponent("mini.yaml"), fixtures.appendingPathComponent("defaults.yaml"),
            fixtures.appendingPathComponent("full.yaml"),
        ]
        var text = ""
        for file in files {
            let recipe = try Recipe(contentsOf: file)
            text += "=== \(file.lastPathComponent)\n"
            func record<S: Encodable>(_ stage: String, _ settings: S?) throws {
                guard let settings else { return }
                let marker = RecipeRunner.Marker(
                    stage: stage, settings: settings, model: recipe.model, seed: recipe.seed)
                text += String(decoding: try RecipeRunner.encoded(marker), as: UTF8.self) + "\n"
            }
            try record("zero_shot", recipe.zeroShot)
            try record("finetune", recipe.fineTune)
            try record("ppo", recipe.ppo)
            try record("evaluate", recipe.evaluate)
        }
        let expected = try String(contentsOf: fixtures.appendingPathComponent("expected.txt"), encoding: .utf8)
        #expect(!expected.isEmpty)
        #expect(text == expected)
    }
}
