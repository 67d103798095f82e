import DetoxCheckpoints
import DetoxDatasets
import DetoxEvaluation
import DetoxFiles
import DetoxLoRA
import DetoxModels
import DetoxPipeline
import DetoxTraining
import Foundation

/// `detox demo`: builds the offline world and runs the real pipeline on it through the same stages
/// a user runs on Hub models — zero-shot summaries, QLoRA fine-tuning, PPO, evaluation and the
/// HTML report.
public enum DemoPipeline {
    public struct Options: Sendable {
        public var outputFolder = URL(fileURLWithPath: "demo-out")
        public var quick = false
        public var seed: UInt64 = 7
        /// PPO steps (nil: ``DemoPipeline/ppoSteps(quick:)``).
        public var ppoSteps: Int?
        /// Far above TRL's default: the demo's tiny models learn in minutes.
        public var ppoLearningRate = 5e-4
        /// The initial KL coefficient (nil: TRL's, ``PPOConfiguration/initKLCoef``).
        public var klCoefficient: Double?
        public init() {}
    }

    /// The demo's PPO steps: enough for the reward to move, fewer in the quick variant the tests run.
    public static func ppoSteps(quick: Bool) -> Int { quick ? 60 : 300 }

    public struct Summary: Sendable {
        public var report: ComparisonReport
        public var reportFile: URL
        public var zeroShotExample: String
        public var fineTuneValidationLoss: (first: Float?, last: Float?)
        public var rewardMean: (first: Double?, last: Double?)
        public var seconds: Double
    }

    /// What a demo folder was made with: a rerun resumes it only with the same seed and variant.
    struct Identity: Codable, Equatable {
        var seed: UInt64
        var quick: Bool
    }

    /// Records the seed and variant in `root/demo.json`, or checks them against the record of an
    /// earlier run, so that `--seed 1` in a folder made with seed 7 does not silently resume seed
    /// 7's world and checkpoints.
    static func checkReuse(of root: URL, seed: UInt64, quick: Bool) throws {
        let file = root.appendingPathComponent("demo.json")
        let identity = Identity(seed: seed, quick: quick)
        if let data = FileManager.default.contents(atPath: file.path) {
            guard let recorded = try? JSONDecoder().decode(Identity.self, from: data) else {
                throw DetoxError.invalidSetting(
                    name: file.path,
                    reason: "is not a demo record ({\"seed\": …, \"quick\": …}); remove it or choose another --out")
            }
            guard recorded == identity else {
                func describe(_ i: Identity) -> String { "seed \(i.seed)\(i.quick ? " --quick" : "")" }
                throw DetoxError.invalidSetting(
                    name: "--out \(root.path)",
                    reason:
                        "holds a demo run made with \(describe(recorded)), not \(describe(identity)); choose another --out or remove the folder"
                )
            }
            return
        }
        do {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try AtomicFileWriter.write([UInt8](try encoder.encode(identity)), to: file)
        } catch {
            throw DetoxError.io(path: file.path, reason: "could not record the demo's seed: \(error)")
        }
    }

    public static func run(_ options: Options, log: (String) -> Void) throws -> Summary {
        let start = Date()
        let root = options.outputFolder
        let claim = try FolderLock(claiming: root)
        defer { withExtendedLifetime(claim) {} }
        let world = DemoWorld(folder: root.appendingPathComponent("world"))
        let scale: DemoWorld.Scale = options.quick ? .quick : .full
        try checkReuse(of: root, seed: options.seed, quick: options.quick)
        if world.isBuilt {
            log("== world: reusing \(world.folder.path)")
        } else {
            log("== building the offline world in \(world.folder.path)")
            try world.build(seed: options.seed, scale: scale, log: log)
        }
        let train = world.datasetFolder.appendingPathComponent("train.csv")
        let validation = world.datasetFolder.appendingPathComponent("validation.csv")
        let test = world.datasetFolder.appendingPathComponent("test.csv")

        log("== zero-shot summaries (base model, greedy)")
        var summarize = SummarizeStage.Options(model: world.baseModel, dataFile: test)
        summarize.limit = 4
        summarize.outputFile = root.appendingPathComponent("zero-shot.jsonl")
        summarize.generation = .greedy(maxNewTokens: 40)
        let zeroShot = try SummarizeStage.run(summarize) { log("  " + $0) }

        log("== QLoRA fine-tuning (NF4 base with double quantization, LoRA r 8 on q, v)")
        var finetune = FineTuneStage.Options(
            model: world.baseModel, trainFile: train, outputFolder: root.appendingPathComponent("sft"))
        finetune.validationFile = validation
        finetune.quantization = .nf4
        finetune.adapter = LoRAConfiguration(rank: 8, alpha: 16, dropout: 0.05, targets: .names(["q", "v"]))
        finetune.template = .summarize
        finetune.trainer.learningRate = 2e-3
        finetune.trainer.maxSteps = options.quick ? 12 : 40
        finetune.trainer.batchSize = 8
        finetune.trainer.warmupSteps = 2
        finetune.trainer.evaluateEvery = options.quick ? 6 : 20
        finetune.trainer.checkpointEvery = options.quick ? 6 : 20
        finetune.trainer.maxSourceLength = 256
        finetune.trainer.maxTargetLength = 64
        finetune.trainer.seed = options.seed
        let sft = try FineTuneStage.run(finetune) { line in
            // Training lines only at evaluations, to keep the demo's output short.
            if !line.hasPrefix("step") || line.contains("eval_loss") { log("  " + line) }
        }

        log("== PPO against the ELECTRA reward (label \"not offensive\"), KL to the fine-tuned model")
        var ppo = PPOStage.Options(
            model: world.baseModel, rewardModel: world.rewardModel, dataFile: train,
            outputFolder: root.appendingPathComponent("ppo"))
        ppo.baseAdapters = [sft.adapterFolder]
        ppo.rewardLabel = "not offensive"
        ppo.quantization = .nf4
        ppo.adapter = LoRAConfiguration(rank: 8, alpha: 16, dropout: 0.0, targets: .names(["q", "v"]))
        ppo.ppo.learningRate = options.ppoLearningRate
        // Batches and epochs are the stage's (the course lab's): 16 prompts, mini-batches of 4, 4 epochs.
        ppo.ppo.initKLCoef = options.klCoefficient ?? ppo.ppo.initKLCoef
        // The reward is a raw logit (±6 here); normalizing it (TRL's use_score_scaling and
        // use_score_norm) keeps the value loss, which shares the decoder with the policy, small.
        ppo.ppo.useScoreScaling = true
        ppo.ppo.useScoreNorm = true
        ppo.ppo.seed = options.seed
        ppo.steps = options.ppoSteps ?? ppoSteps(quick: options.quick)
        ppo.minNewTokens = 3
        ppo.lengthSampler = try LengthSampler(20, 40)
        ppo.generationBatchSize = 16
        ppo.maxSourceLength = 256
        ppo.checkpointEvery = 5
        let ppoResult = try PPOStage.run(ppo) { log("  " + $0) }

        log(
            "== evaluation: before (base + fine-tuning) vs after (+ PPO), toxicity by the RoBERTa evaluator (label \"hate\")"
        )
        var evaluate = EvaluateStage.Options(
            model: world.baseModel, after: root.appendingPathComponent("ppo"), toxicityModel: world.evaluatorModel,
            dataFile: test,
            outputFolder: root.appendingPathComponent("report"))
        evaluate.beforeAdapters = [sft.adapterFolder]
        evaluate.rewardModel = world.rewardModel
        evaluate.rewardLabel = "not offensive"
        evaluate.count = options.quick ? 16 : 48
        evaluate.generation = .greedy(maxNewTokens: 40)
        evaluate.trainingLog = ppoResult.logFile
        evaluate.maxSourceLength = 256
        let evaluation = try EvaluateStage.run(evaluate) { log("  " + $0) }
        let reportFile = evaluation.files.first { $0.lastPathComponent == "report.html" } ?? root
        return Summary(
            report: evaluation.report, reportFile: reportFile, zeroShotExample: zeroShot.first?.summary ?? "",
            fineTuneValidationLoss: (sft.firstValidationLoss, sft.finalValidationLoss),
            rewardMean: (ppoResult.firstRewardMean, ppoResult.lastRewardMean), seconds: Date().timeIntervalSince(start))
    }
}
