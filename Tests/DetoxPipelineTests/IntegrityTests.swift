import DetoxFiles
import DetoxModels
import DetoxNN
import DetoxPipeline
import DetoxTensor
import DetoxTestFiles
import DetoxTraining
import Foundation
import Testing

/// Silent wrong results turned into errors or the right result: resuming with other settings,
/// broken (NaN) weights, a run shorter than its checkpoint interval, label lookup, log lines.
@Suite(.serialized) struct IntegrityTests {
    /// A copy of the mini world's T5 whose final layer norms are NaN.
    static func brokenT5(from folder: URL, to broken: URL) throws -> URL {
        try FileManager.default.copyItem(at: folder, to: broken)
        let model = try T5ForConditionalGeneration.load(folder: broken)
        let norms = model.parameters().filter { $0.name.contains("final_layer_norm") }
        try #require(!norms.isEmpty)
        for (_, parameter) in norms { parameter.assign(Tensor.full(parameter.shape, .nan)) }
        try ModelFolderWriter.write(configuration: model.configuration, module: model, to: broken)
        return broken
    }

    static func recordedStep(_ output: URL) throws -> Double? {
        let data = try Data(contentsOf: output.appendingPathComponent("checkpoint/trainer_state.json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return ((object["state"] as? [String: Any])?["ppo_step"] as? NSNumber)?.doubleValue
    }

    @Test("a PPO run shorter than its checkpoint interval still checkpoints its last step")
    func shortRunCheckpoints() throws {
        let root = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try MiniWorld.build(at: root.appendingPathComponent("world"))
        var options = try PPOStageTests.options(world: world, output: root.appendingPathComponent("ppo"), steps: 1)
        options.checkpointEvery = 5
        _ = try PPOStage.run(options)
        #expect(try Self.recordedStep(options.outputFolder) == 1)
    }

    /// Resuming with a different seed refuses, naming the key and both values; more steps resume;
    /// `resume = false` (`--restart`) starts over.
    @Test("PPO: resuming with other settings refuses; more steps resume; restart starts over")
    func ppoResumeSettings() throws {
        let root = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try MiniWorld.build(at: root.appendingPathComponent("world"))
        let output = root.appendingPathComponent("ppo")
        _ = try PPOStage.run(try PPOStageTests.options(world: world, output: output, steps: 1))

        var reseeded = try PPOStageTests.options(world: world, output: output, steps: 2)
        reseeded.ppo.seed = 9
        reseeded.ppo.learningRate = 2e-3
        do {
            _ = try PPOStage.run(reseeded)
            Issue.record("resuming with another seed succeeded")
        } catch let error as ResumeMismatchError {
            #expect(error.differences.map(\.key) == ["ppo.learningRate", "ppo.seed"])
            #expect(error.differences.last == .init(key: "ppo.seed", recorded: "0", current: "9"))
            #expect(error.description.contains("--restart"))
        }
        // The refused run left the checkpoint as it was.
        #expect(try Self.recordedStep(output) == 1)

        var lines: [String] = []
        var longer = try PPOStageTests.options(world: world, output: output, steps: 2)
        longer.checkpointEvery = 7
        _ = try PPOStage.run(longer) { lines.append($0) }
        #expect(lines.contains("resuming PPO at step 1"))
        #expect(try Self.recordedStep(output) == 2)

        reseeded.resume = false
        lines = []
        _ = try PPOStage.run(reseeded) { lines.append($0) }
        #expect(!lines.contains { $0.hasPrefix("resuming") })
        #expect(try Self.recordedStep(output) == 2)
    }

    @Test("fine-tuning: resuming with another learning rate or data file refuses; more steps resume")
    func fineTuneResumeSettings() throws {
        let root = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try MiniWorld.build(at: root.appendingPathComponent("world"))
        func options(steps: Int) -> FineTuneStage.Options {
            var options = FineTuneStage.Options(
                model: world.t5, trainFile: world.data, outputFolder: root.appendingPathComponent("sft"))
            options.adapter = .init(rank: 2, alpha: 4, dropout: 0, targets: .names(["q", "v"]))
            options.trainer.maxSteps = steps
            options.trainer.batchSize = 2
            options.trainer.maxSourceLength = 64
            options.trainer.maxTargetLength = 16
            return options
        }
        _ = try FineTuneStage.run(options(steps: 1))
        var faster = options(steps: 2)
        faster.trainer.learningRate = 0.5
        #expect(throws: ResumeMismatchError.self) { _ = try FineTuneStage.run(faster) }

        // The same path with other content is other data.
        let data = try Data(contentsOf: world.data)
        try (data + Data("\n".utf8)).write(to: world.data)
        do {
            _ = try FineTuneStage.run(options(steps: 2))
            Issue.record("resuming on edited data succeeded")
        } catch let error as ResumeMismatchError {
            #expect(error.differences.map(\.key) == ["trainFile"])
        }
        try data.write(to: world.data)
        let result = try FineTuneStage.run(options(steps: 2))
        #expect(result.steps == 2)
    }

    @Test("PPO with NaN policy weights stops at step 1 naming PPO, and writes no checkpoint")
    func nanPolicyStops() throws {
        let root = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try MiniWorld.build(at: root.appendingPathComponent("world"))
        let broken = try Self.brokenT5(from: world.t5, to: root.appendingPathComponent("t5-nan"))
        var options = try PPOStageTests.options(world: world, output: root.appendingPathComponent("ppo"), steps: 2)
        options.model = broken
        do {
            _ = try PPOStage.run(options)
            Issue.record("PPO on a NaN model succeeded")
        } catch TrainingError.nonFinite(let what, let step, let value) {
            #expect(what.hasPrefix("PPO: the policy's logit"))
            #expect(step == 1)
            #expect(value.isNaN)
        }
        #expect(!TrainingCheckpoint.exists(at: options.outputFolder.appendingPathComponent("checkpoint")))
    }

    @Test("summarizing with NaN weights is an error, not empty summaries")
    func nanSummaries() throws {
        let root = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try MiniWorld.build(at: root.appendingPathComponent("world"))
        let broken = try Self.brokenT5(from: world.t5, to: root.appendingPathComponent("t5-nan"))
        var options = SummarizeStage.Options(model: broken, dataFile: world.data)
        options.limit = 2
        options.generation = .greedy(maxNewTokens: 4)
        do {
            _ = try SummarizeStage.run(options)
            Issue.record("summarizing with a NaN model succeeded")
        } catch ModelError.nonFiniteLogits(let step, _, let value) {
            #expect(step == 1)
            #expect(value.isNaN)
        }
    }

    @Test("labels resolve by exact name; a missing or repeated name is refused with the labels listed")
    func labelResolution() throws {
        #expect(try ClassifierLabels.classIndex(of: "nothate", in: ["hate", "nothate"]) == 1)
        #expect(
            throws: ModelError.invalidInput(
                "label \"Hate\" is not one of the classifier's labels (0: hate, 1: nothate)")
        ) {
            try ClassifierLabels.classIndex(of: "Hate", in: ["hate", "nothate"])
        }
        #expect(
            throws: ModelError.invalidInput(
                "label \"ok\" names 2 classes of the classifier (0: ok, 1: bad, 2: ok); it is ambiguous")
        ) {
            try ClassifierLabels.classIndex(of: "ok", in: ["ok", "bad", "ok"])
        }
    }

    @Test("log lines: a Hub snapshot is named by its model id; no rate before a step is timed; rates name their unit")
    func logLines() {
        let snapshot = URL(fileURLWithPath: "/cache/hub/models--facebook--roberta-hate/snapshots/0299f8dc1234")
        #expect(ModelLocator.displayName(of: snapshot) == "facebook/roberta-hate")
        #expect(ModelLocator.displayName(of: URL(fileURLWithPath: "/work/models/reward")) == "reward")
        let clock = ProgressClock(total: 10, startingAt: 3)
        #expect(clock.describe(done: 3) == "timing the next step")
        #expect(clock.describe(done: 4).contains("ETA"))
        let prompts = ProgressClock(total: 64, unit: "prompt")
        #expect(prompts.describe(done: 0) == "timing the next prompt")
        #expect(prompts.describe(done: 8).contains("prompts/s") || prompts.describe(done: 8).contains("s/prompt"))
    }

    @Test("PPO refuses zero steps, zero source tokens and a negative checkpoint interval")
    func ppoSettingsAtTheEdge() throws {
        let root = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: root) }
        let world = try MiniWorld.build(at: root.appendingPathComponent("world"))
        let base = try PPOStageTests.options(world: world, output: root.appendingPathComponent("ppo"), steps: 1)
        var zeroSteps = base
        zeroSteps.steps = 0
        var noSource = base
        noSource.maxSourceLength = 0
        var negativeInterval = base
        negativeInterval.checkpointEvery = -1
        let cases: [(PPOStage.Options, String)] = [
            (zeroSteps, "steps"), (noSource, "max source length"), (negativeInterval, "checkpoint every"),
        ]
        for (options, name) in cases {
            do {
                _ = try PPOStage.run(options)
                Issue.record("\(name): accepted")
            } catch DetoxError.invalidSetting(let setting, _) {
                #expect(setting == name)
            }
        }
        #expect(!FileManager.default.fileExists(atPath: base.outputFolder.appendingPathComponent("adapter").path))
    }

    @Test("training settings: non-finite learning rates, a negative KL coefficient, empty lengths are refused")
    func trainingSettingsAtTheEdge() throws {
        for rate in [Double.nan, .infinity, -1] {
            var ppo = PPOConfiguration(batchSize: 4, miniBatchSize: 2)
            ppo.learningRate = rate
            #expect(throws: TrainingError.self) { try ppo.validate() }
        }
        for coefficient in [Double.nan, .infinity, -0.5] {
            var ppo = PPOConfiguration(batchSize: 4, miniBatchSize: 2)
            ppo.initKLCoef = coefficient
            #expect(
                throws: TrainingError.invalidSetting(
                    name: "init_kl_coef", reason: "must be a non-negative number, got \(coefficient)")
            ) { try ppo.validate() }
        }
        var ppo = PPOConfiguration(batchSize: 4, miniBatchSize: 2)
        ppo.initKLCoef = 0
        try ppo.validate()
    }
}
