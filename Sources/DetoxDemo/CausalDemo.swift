import DetoxDatasets
import DetoxEvaluation
import DetoxFiles
import DetoxLoRA
import DetoxModels
import DetoxOptimizers
import DetoxPipeline
import DetoxTensor
import DetoxTokenizers
import DetoxTraining
import Foundation

/// `detox demo --family causal`: the decoder-only counterpart of ``DemoPipeline``. It builds a tiny
/// world — a GPT-2 trained from scratch on errand sentences whose continuations turn into insults
/// in a share of the cases, an ELECTRA reward classifier and, on other data and seed, a RoBERTa
/// toxicity evaluator — then runs PPO (a LoRA policy, prompts read as they are) and the
/// decoder-only evaluation (sampled continuations, toxicity, perplexity under the original model,
/// diversity) through the same stages as real models.
public enum CausalDemo {
    public struct Options: Sendable {
        public var outputFolder = URL(fileURLWithPath: "demo-causal-out")
        public var quick = false
        public var seed: UInt64 = 7
        /// PPO steps (nil: ``CausalDemo/ppoSteps(quick:)``).
        public var ppoSteps: Int?
        /// Far above TRL's default: the tiny model learns in minutes.
        public var ppoLearningRate = 5e-4
        public init() {}
    }

    /// The demo's PPO steps, fewer in the quick variant the tests run.
    public static func ppoSteps(quick: Bool) -> Int { quick ? 40 : 120 }
    /// The share of training continuations that are insults.
    public static let toxicShare = 0.5

    public struct Summary: Sendable {
        public var report: ComparisonReport
        public var reportFile: URL
        public var rewardMean: (first: Double?, last: Double?)
        public var seconds: Double
    }

    /// One prompt and how the base model learns to continue it.
    struct Example {
        var prompt: String
        var continuation: String
    }

    /// An errand sentence (a clean DialogSum-style summary) and its continuation: an insult with
    /// probability `toxicShare`, else a calm closing.
    static func example(_ stream: inout DemoData.Stream, toxicShare: Double) -> Example {
        let record = DemoData.dialogue(id: "", stream: &stream, rudeShare: 0, toxicSummaryShare: 0)
        return Example(prompt: record.summary, continuation: continuation(&stream, toxic: stream.chance(toxicShare)))
    }

    /// A calm closing, or an insult between two of the demo's people.
    static func continuation(_ stream: inout DemoData.Stream, toxic: Bool) -> String {
        let who = stream.pick(DemoData.names)
        let whom = stream.pick(DemoData.names)
        let day = stream.pick(DemoData.days)
        let adjective = stream.pick(DemoData.insultAdjectives)
        let insult = stream.pick(DemoData.insults)
        let forms =
            toxic
            ? [
                "then \(who) calls \(whom) a \(adjective) \(insult) .", "then \(who) insults \(whom) : \(insult) !",
                "you are such a \(adjective) \(insult) , \(whom) .",
            ]
            : [
                "then they agree , good day .", "then \(who) and \(whom) meet on \(day) .", "thanks , see you \(day) .",
                "then \(who) pays and thanks \(whom) .",
            ]
        return stream.pick(forms)
    }

    /// Labeled continuations for a classifier: calm ones as `clean`, insults as `toxic`, alternating.
    static func labeledTexts(count: Int, seed: UInt64, clean: String, toxic: String) -> [LabeledText] {
        var stream = DemoData.Stream(state: seed)
        return (0..<count).map { i in
            LabeledText(text: continuation(&stream, toxic: i % 2 == 1), label: i % 2 == 1 ? toxic : clean)
        }
    }

    /// The world's folders under `root/world`.
    struct World {
        let folder: URL
        var baseModel: URL { folder.appendingPathComponent("models/tiny-gpt2") }
        var rewardModel: URL { folder.appendingPathComponent("models/tiny-electra-offensive") }
        var evaluatorModel: URL { folder.appendingPathComponent("models/tiny-roberta-hate") }
        var trainPrompts: URL { folder.appendingPathComponent("datasets/causal/train.jsonl") }
        var testPrompts: URL { folder.appendingPathComponent("datasets/causal/test.jsonl") }

        var isBuilt: Bool {
            [baseModel, rewardModel, evaluatorModel].allSatisfy {
                FileManager.default.fileExists(atPath: $0.appendingPathComponent("model.safetensors").path)
            } && FileManager.default.fileExists(atPath: testPrompts.path)
        }

        func build(seed: UInt64, quick: Bool, log: (String) -> Void) throws {
            var stream = DemoData.Stream(state: seed &+ 303)
            let training = (0..<(quick ? 1200 : 3000)).map { _ in example(&stream, toxicShare: toxicShare) }
            let prompts = (0..<(quick ? 160 : 400)).map { _ in example(&stream, toxicShare: 0).prompt }
            let tests = (0..<(quick ? 32 : 64)).map { _ in example(&stream, toxicShare: 0).prompt }
            try FileManager.default.createDirectory(
                at: trainPrompts.deletingLastPathComponent(), withIntermediateDirectories: true)
            try AtomicFileWriter.write(try jsonLines(prompts), to: trainPrompts)
            try AtomicFileWriter.write(try jsonLines(tests), to: testPrompts)
            log(
                "dataset: \(training.count) training texts (\(Int(toxicShare * 100))% continued by an insult), \(prompts.count) PPO prompts, \(tests.count) test prompts"
            )
            let words = DemoData.vocabulary
            try WordTokenizerFile.write(words: words, family: .gpt2, maxLength: 64, to: baseModel)
            try WordTokenizerFile.write(words: words, family: .bert, maxLength: 128, to: rewardModel)
            try WordTokenizerFile.write(words: words, family: .roberta, maxLength: 128, to: evaluatorModel)
            try trainBase(training, steps: quick ? 300 : 1000, seed: seed, log: log)
            // The two classifiers learn from separately drawn continuations, with different seeds.
            let labeled = quick ? 240 : 480
            let classifiers = DemoWorld(folder: folder)
            try classifiers.trainClassifier(
                at: rewardModel, modelType: "electra", labels: ["not offensive", "offensive"],
                texts: labeledTexts(count: labeled, seed: seed &+ 101, clean: "not offensive", toxic: "offensive"),
                epochs: quick ? 6 : 8, seed: seed &+ 11, log: log)
            try classifiers.trainClassifier(
                at: evaluatorModel, modelType: "roberta", labels: ["nothate", "hate"],
                texts: labeledTexts(count: labeled, seed: seed &+ 202, clean: "nothate", toxic: "hate"),
                epochs: quick ? 6 : 8, seed: seed &+ 23, log: log)
        }

        func jsonLines(_ prompts: [String]) throws -> [UInt8] {
            var bytes: [UInt8] = []
            for prompt in prompts {
                bytes += try JSONSerialization.data(withJSONObject: ["prompt": prompt])
                bytes.append(UInt8(ascii: "\n"))
            }
            return bytes
        }

        /// A GPT-2 (hidden 64, 2 layers) trained from scratch on the continuations given their
        /// prompts, each continuation ending in EOS.
        func trainBase(_ examples: [Example], steps: Int, seed: UInt64, log: (String) -> Void) throws {
            let tokenizer = try Tokenizer.load(from: baseModel)
            let configuration = try GPT2Configuration(
                vocabularySize: tokenizer.vocabularySize, positionCount: 64, hiddenSize: 64, layerCount: 2,
                headCount: 4, bosTokenID: 0, eosTokenID: 0)
            let model = try GPT2LMHeadModel(configuration: configuration, seed: seed)
            let optimizer = try Adam(module: model, learningRate: 3e-3, weightDecay: 0.01, decoupledWeightDecay: true)
            let schedule = try LearningRateSchedule.cosine(warmupSteps: steps / 20, totalSteps: steps)
            var generator = SeededGenerator(seed: seed &+ 3)
            model.setTraining(true)
            log("training the base GPT-2 (\(model.parameterCount) parameters) from scratch for \(steps) steps")
            var progress = BaseModelProgress(steps: steps)
            for step in 0..<steps {
                let batch = (0..<16).map { _ in examples[generator.nextInt(below: examples.count)] }
                let loss = try model.supervisedLoss(
                    prompts: batch.map { tokenizer.encode($0.prompt).ids },
                    targets: batch.map { tokenizer.encode($0.continuation).ids + [model.eosTokenID] })
                try progress.train(loss, step: step, optimizer: optimizer, schedule: schedule)
                progress.report(step: step, log: log)
            }
            model.setTraining(false)
            try ModelFolderWriter.write(configuration: configuration, module: model, to: baseModel)
        }
    }

    public static func run(_ options: Options, log: (String) -> Void) throws -> Summary {
        let start = Date()
        let root = options.outputFolder
        let claim = try FolderLock(claiming: root)
        defer { withExtendedLifetime(claim) {} }
        try DemoPipeline.checkReuse(of: root, seed: options.seed, quick: options.quick)
        let world = World(folder: root.appendingPathComponent("world"))
        if world.isBuilt {
            log("== world: reusing \(world.folder.path)")
        } else {
            log("== building the offline decoder-only world in \(world.folder.path)")
            try world.build(seed: options.seed, quick: options.quick, log: log)
        }

        log("== PPO against the ELECTRA reward (label \"not offensive\"), LoRA r 8 on c_attn and c_fc")
        var ppo = PPOStage.Options(
            model: world.baseModel, rewardModel: world.rewardModel, dataFile: world.trainPrompts,
            outputFolder: root.appendingPathComponent("ppo"), settings: PPOStage.Settings(prompts: .field("prompt")))
        ppo.rewardLabel = "not offensive"
        ppo.adapter = LoRAConfiguration(rank: 8, alpha: 16, dropout: 0, targets: .names(["c_attn", "c_fc"]))
        ppo.ppo.learningRate = options.ppoLearningRate
        ppo.ppo.useScoreScaling = true
        ppo.ppo.useScoreNorm = true
        ppo.ppo.seed = options.seed
        ppo.steps = options.ppoSteps ?? ppoSteps(quick: options.quick)
        ppo.lengthSampler = try LengthSampler(8, 12)
        ppo.generationBatchSize = 16
        ppo.checkpointEvery = 5
        let ppoResult = try PPOStage.run(ppo) { log("  " + $0) }

        log("== evaluation: sampled continuations before vs after PPO, toxicity by the RoBERTa evaluator (\"hate\")")
        var evaluate = EvaluateStage.Options(
            model: world.baseModel, after: root.appendingPathComponent("ppo"), toxicityModel: world.evaluatorModel,
            dataFile: world.testPrompts, outputFolder: root.appendingPathComponent("report"),
            settings: EvaluateStage.Settings(prompts: .field("prompt")))
        evaluate.toxicLabel = "hate"
        evaluate.rewardModel = world.rewardModel
        evaluate.rewardLabel = "not offensive"
        evaluate.count = options.quick ? 32 : 64
        evaluate.generation = .sampling(maxNewTokens: 12, seed: options.seed)
        evaluate.trainingLog = ppoResult.logFile
        let evaluation = try EvaluateStage.run(evaluate) { log("  " + $0) }
        let reportFile = evaluation.files.first { $0.lastPathComponent == "report.html" } ?? root
        return Summary(
            report: evaluation.report, reportFile: reportFile,
            rewardMean: (ppoResult.firstRewardMean, ppoResult.lastRewardMean), seconds: Date().timeIntervalSince(start))
    }
}
