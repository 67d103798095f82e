import DetoxDatasets
import DetoxLoRA
import DetoxModels
import DetoxTraining
import Foundation
import Yams

/// One YAML file describing an experiment: models, dataset, prompt, each stage's settings, seed and
/// output folder. `detox run recipe.yaml` runs the stages in order into the output folder, skips
/// stages that finished with the same settings, and resumes an interrupted one from its checkpoint.
///
/// ```yaml
/// output: runs/dialogsum-t5-small
/// seed: 42
/// model: google-t5/t5-small
/// dataset: {train: datasets/knkarthick/dialogsum/train.csv, validation: ..., test: ...}
/// prompt: "\nSummarize the following conversation.\n\n{dialogue}\n\nSummary:\n"
/// stages:
///   zero_shot: {limit: 20, max_new_tokens: 64}
///   finetune: {quantize: nf4, double_quant: true, lora: {rank: 32, alpha: 32, dropout: 0.05, targets: [q, v]}, ...}
///   ppo: {reward_model: ..., reward_label: nothate, steps: 10, ...}
///   evaluate: {toxicity_model: ..., toxic_label: hate, count: 20, ...}
/// ```
public struct Recipe: Sendable {
    public struct ZeroShot: Sendable, Codable, Equatable {
        public var limit = 20
        public var maxNewTokens = 64
    }

    public struct FineTune: Sendable, Codable, Equatable {
        public var quantization = BaseQuantization.none
        public var doubleQuantization = true
        public var rank = 32, alpha: Float = 32, dropout: Float = 0.05
        public var targets = ["q", "v"]
        public var learningRate = 1e-3
        public var epochs = 1
        public var steps: Int?
        public var batchSize = 8
        public var gradientAccumulation = 1
        public var warmupSteps = 0
        public var maxSourceLength = 512, maxTargetLength = 128
        public var evaluateEvery = 0
        public var limit: Int?
        public var dialogueLength: [Int]?
    }

    public struct PPO: Sendable, Codable, Equatable {
        public var rewardModel: String
        public var rewardLabel = "nothate"
        public var rewardOutput = "logit"
        public var steps = 10
        public var batchSize = 16, miniBatchSize = 4, ppoEpochs = 4
        public var learningRate = 1.41e-5
        public var initKLCoef = 0.2
        public var klPenalty = "kl"
        public var normalizeScores = false
        public var lengths = [100, 400]
        public var minNewTokens = 5
        public var rank = 32, alpha: Float = 32
        public var targets = ["q", "v"]
        public var quantization = BaseQuantization.none
        public var checkpointEvery = 5
        public var dialogueLength: [Int]?
        public var maxSourceLength = 512
    }

    public struct Evaluate: Sendable, Codable, Equatable {
        public var toxicityModel: String
        public var toxicLabel = "hate"
        public var rewardModel: String?
        public var rewardLabel: String?
        public var count = 20
        public var maxNewTokens = 64
        public var sample = false
    }

    public var file: String
    public var output: URL
    public var seed: UInt64 = 42
    public var model: String
    public var train: String
    public var validation: String?
    public var test: String?
    public var prompt = PromptTemplate.summarize
    public var zeroShot: ZeroShot?
    public var fineTune: FineTune?
    public var ppo: PPO?
    public var evaluate: Evaluate?

    /// Reads and checks a recipe. Relative paths in it are relative to the recipe's folder.
    public init(contentsOf url: URL) throws {
        let file = url.path
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw RecipeError.unreadable(file: file, reason: error.localizedDescription)
        }
        let parsed: Node?
        do {
            parsed = try Yams.compose(yaml: text)
        } catch {
            throw RecipeError.unreadable(file: file, reason: "not valid YAML: \(error)")
        }
        guard let parsed, parsed.mapping != nil else {
            throw RecipeError.invalid(file: file, keyPath: "$", reason: "expected a mapping at the top")
        }
        var root = RecipeNode(file: file, path: "", node: parsed)
        let base = url.deletingLastPathComponent()
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") || path.hasPrefix("~")
                || !FileManager.default.fileExists(atPath: base.appendingPathComponent(path).path)
                ? path : base.appendingPathComponent(path).path
        }
        self.file = file
        guard let output = try root.string("output") else { throw root.error("output", "missing (the run folder)") }
        self.output = URL(fileURLWithPath: output, relativeTo: base).standardizedFileURL
        if let seed = try root.int("seed") {
            guard seed >= 0 else { throw root.error("seed", "must not be negative") }
            self.seed = UInt64(seed)
        }
        guard let model = try root.string("model") else { throw root.error("model", "missing (a Hub id or a folder)") }
        self.model = resolve(model)
        guard var dataset = try root.child("dataset") else { throw root.error("dataset", "missing") }
        guard let train = try dataset.string("train") else { throw dataset.error("train", "missing") }
        self.train = resolve(train)
        self.validation = try dataset.string("validation").map(resolve)
        self.test = try dataset.string("test").map(resolve)
        try dataset.checkNoUnknownKeys()
        if let prompt = try root.string("prompt") {
            guard prompt.contains("{dialogue}") else { throw root.error("prompt", "must contain {dialogue}") }
            self.prompt = PromptTemplate(prompt)
        }
        if var stages = try root.child("stages") {
            if var node = try stages.child("zero_shot") {
                var z = ZeroShot()
                z.limit = try node.int("limit") ?? z.limit
                z.maxNewTokens = try node.int("max_new_tokens") ?? z.maxNewTokens
                try node.checkNoUnknownKeys()
                zeroShot = z
            }
            if var node = try stages.child("finetune") {
                var f = FineTune()
                if let q = try node.string("quantize") {
                    guard let mode = BaseQuantization(rawValue: q) else {
                        throw node.error("quantize", "expected none, nf4 or fp4, found \"\(q)\"")
                    }
                    f.quantization = mode
                }
                f.doubleQuantization = try node.bool("double_quant") ?? f.doubleQuantization
                if var lora = try node.child("lora") {
                    f.rank = try lora.int("rank") ?? f.rank
                    f.alpha = Float(try lora.double("alpha") ?? Double(f.alpha))
                    f.dropout = Float(try lora.double("dropout") ?? Double(f.dropout))
                    f.targets = try lora.strings("targets") ?? f.targets
                    try lora.checkNoUnknownKeys()
                }
                f.learningRate = try node.double("learning_rate") ?? f.learningRate
                f.epochs = try node.int("epochs") ?? f.epochs
                f.steps = try node.int("steps")
                f.batchSize = try node.int("batch_size") ?? f.batchSize
                f.gradientAccumulation = try node.int("gradient_accumulation") ?? f.gradientAccumulation
                f.warmupSteps = try node.int("warmup_steps") ?? f.warmupSteps
                f.maxSourceLength = try node.int("max_source_length") ?? f.maxSourceLength
                f.maxTargetLength = try node.int("max_target_length") ?? f.maxTargetLength
                f.evaluateEvery = try node.int("evaluate_every") ?? f.evaluateEvery
                f.limit = try node.int("limit")
                f.dialogueLength = try node.ints("dialogue_length")
                if let range = f.dialogueLength, range.count != 2 || range[0] > range[1] {
                    throw node.error("dialogue_length", "expected [min, max]")
                }
                try node.checkNoUnknownKeys()
                fineTune = f
            }
            if var node = try stages.child("ppo") {
                guard let reward = try node.string("reward_model") else { throw node.error("reward_model", "missing") }
                var p = PPO(rewardModel: resolve(reward))
                p.rewardLabel = try node.string("reward_label") ?? p.rewardLabel
                p.rewardOutput = try node.string("reward_output") ?? p.rewardOutput
                guard RewardModel.Output(rawValue: p.rewardOutput) != nil else {
                    throw node.error("reward_output", "expected logit, probability or margin")
                }
                p.steps = try node.int("steps") ?? p.steps
                p.batchSize = try node.int("batch_size") ?? p.batchSize
                p.miniBatchSize = try node.int("mini_batch_size") ?? p.miniBatchSize
                p.ppoEpochs = try node.int("ppo_epochs") ?? p.ppoEpochs
                p.learningRate = try node.double("learning_rate") ?? p.learningRate
                p.initKLCoef = try node.double("init_kl_coef") ?? p.initKLCoef
                p.klPenalty = try node.string("kl_penalty") ?? p.klPenalty
                guard KLPenalty(rawValue: p.klPenalty) != nil else {
                    throw node.error("kl_penalty", "expected kl, abs, mse or full")
                }
                p.normalizeScores = try node.bool("normalize_scores") ?? p.normalizeScores
                p.lengths = try node.ints("lengths") ?? p.lengths
                guard p.lengths.count == 2, p.lengths[0] < p.lengths[1] else {
                    throw node.error("lengths", "expected [min, max] with min < max")
                }
                p.minNewTokens = try node.int("min_new_tokens") ?? p.minNewTokens
                if var lora = try node.child("lora") {
                    p.rank = try lora.int("rank") ?? p.rank
                    p.alpha = Float(try lora.double("alpha") ?? Double(p.alpha))
                    p.targets = try lora.strings("targets") ?? p.targets
                    try lora.checkNoUnknownKeys()
                }
                if let q = try node.string("quantize") {
                    guard let mode = BaseQuantization(rawValue: q) else {
                        throw node.error("quantize", "expected none, nf4 or fp4, found \"\(q)\"")
                    }
                    p.quantization = mode
                }
                p.checkpointEvery = try node.int("checkpoint_every") ?? p.checkpointEvery
                p.dialogueLength = try node.ints("dialogue_length")
                p.maxSourceLength = try node.int("max_source_length") ?? p.maxSourceLength
                try node.checkNoUnknownKeys()
                ppo = p
            }
            if var node = try stages.child("evaluate") {
                guard let toxicity = try node.string("toxicity_model") else {
                    throw node.error("toxicity_model", "missing")
                }
                var e = Evaluate(toxicityModel: resolve(toxicity))
                e.toxicLabel = try node.string("toxic_label") ?? e.toxicLabel
                e.rewardModel = try node.string("reward_model").map(resolve)
                e.rewardLabel = try node.string("reward_label")
                e.count = try node.int("count") ?? e.count
                e.maxNewTokens = try node.int("max_new_tokens") ?? e.maxNewTokens
                e.sample = try node.bool("sample") ?? e.sample
                try node.checkNoUnknownKeys()
                evaluate = e
            }
            try stages.checkNoUnknownKeys()
        }
        try root.checkNoUnknownKeys()
        if evaluate != nil && test == nil {
            throw RecipeError.invalid(
                file: file, keyPath: "dataset.test", reason: "missing (the evaluate stage needs it)")
        }
    }
}
