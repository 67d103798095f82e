import DetoxDatasets
import DetoxTraining
import Foundation

extension Recipe {
    /// The `ppo` section: the reward classifier (a Hub id or folder, located when the stage runs)
    /// and ``PPOStage/Settings``.
    public struct PPO: Sendable, Equatable, Encodable {
        public var rewardModel: String
        public var settings: PPOStage.Settings

        public init(rewardModel: String, settings: PPOStage.Settings) {
            self.rewardModel = rewardModel
            self.settings = settings
        }

        /// `reward_label` and `ppo_epochs`.
        public var rewardLabel: String { settings.rewardLabel }
        public var ppoEpochs: Int { settings.ppo.ppoEpochs }
        /// The response lengths, `[min, max]` of `min..<max`.
        public var lengths: [Int] {
            [settings.lengthSampler.range.lowerBound, settings.lengthSampler.range.upperBound]
        }

        init(_ node: inout RecipeNode, recipe: Recipe, base: URL) throws {
            guard let reward = try node.string("reward_model") else { throw node.error("reward_model", "missing") }
            rewardModel = Recipe.resolve(reward, in: base)
            let source = try Self.readPrompts(&node)
            var s = source.map { PPOStage.Settings(prompts: $0) } ?? PPOStage.Settings()
            s.template = recipe.prompt
            s.malformedRows = recipe.malformedRows
            s.adapter.baseModelNameOrPath = recipe.model
            s.adapter.targets = Recipe.defaultAdapterTargets
            s.ppo.seed = recipe.seed
            s.rewardLabel = try node.string("reward_label") ?? s.rewardLabel
            s.rewardOutput =
                try node.choice("reward_output") { _ in "expected logit, probability or margin" } ?? s.rewardOutput
            s.steps = try node.int("steps") ?? s.steps
            s.ppo.batchSize = try node.int("batch_size") ?? s.ppo.batchSize
            s.ppo.miniBatchSize = try node.int("mini_batch_size") ?? s.ppo.miniBatchSize
            s.ppo.ppoEpochs = try node.int("ppo_epochs") ?? s.ppo.ppoEpochs
            s.ppo.learningRate = try node.double("learning_rate") ?? s.ppo.learningRate
            s.ppo.initKLCoef = try node.double("init_kl_coef") ?? s.ppo.initKLCoef
            s.ppo.klPenalty = try node.choice("kl_penalty") { _ in "expected kl, abs, mse or full" } ?? s.ppo.klPenalty
            if let normalize = try node.bool("normalize_scores") {
                s.ppo.useScoreScaling = normalize
                s.ppo.useScoreNorm = normalize
            }
            s.lengthSampler = try Self.readLengths(&node) ?? s.lengthSampler
            s.minNewTokens = try node.int("min_new_tokens") ?? s.minNewTokens
            if var lora = try node.child("lora") {
                try lora.readAdapter(into: &s.adapter, dropout: false)
            }
            s.quantization =
                try node.choice("quantize") { "expected none, nf4 or fp4, found \"\($0)\"" } ?? s.quantization
            s.checkpointEvery = try node.int("checkpoint_every") ?? s.checkpointEvery
            s.dialogueLength = try node.closedRange("dialogue_length") ?? s.dialogueLength
            s.maxSourceLength = try node.int("max_source_length") ?? s.maxSourceLength
            if let bounds = try node.ints("query_lengths") {
                guard bounds.count == 2, bounds[0] > 0, bounds[0] < bounds[1] else {
                    throw node.error("query_lengths", "expected [min, max] with 0 < min < max")
                }
                s.queryLengths = try LengthSampler(bounds[0], bounds[1])
            }
            s.policy = try node.choice("policy") { "expected lora or full, found \"\($0)\"" } ?? s.policy
            if let shared = try node.int("num_shared_layers") {
                guard shared >= 0 else { throw node.error("num_shared_layers", "must not be negative") }
                s.numSharedLayers = shared
            }
            try node.checkNoUnknownKeys()
            settings = s
        }

        /// `prompts: real_toxicity_prompts | wiki_toxic | field:<name>`; absent for dialogues.
        static func readPrompts(_ node: inout RecipeNode) throws -> PromptSource? {
            guard let name = try node.string("prompts") else { return nil }
            guard let source = PromptSource(name: name) else {
                throw node.error(
                    "prompts", "expected real_toxicity_prompts, wiki_toxic or field:<name>, found \"\(name)\"")
            }
            return source
        }

        /// `lengths: [min, max]`, TRL's `LengthSampler(min, max)`.
        static func readLengths(_ node: inout RecipeNode) throws -> LengthSampler? {
            guard let bounds = try node.ints("lengths") else { return nil }
            guard bounds.count == 2, bounds[0] < bounds[1] else {
                throw node.error("lengths", "expected [min, max] with min < max")
            }
            guard bounds[0] > 0 else { throw node.error("lengths", "expected a positive min") }
            return try LengthSampler(bounds[0], bounds[1])
        }

        /// The stage's record in `stage.json`.
        public func encode(to encoder: any Encoder) throws {
            var record = encoder.container(keyedBy: StageRecordKey.self)
            let ppo = settings.ppo
            try record.encode(rewardModel, forKey: "rewardModel")
            try record.encode(settings.rewardLabel, forKey: "rewardLabel")
            try record.encode(settings.rewardOutput, forKey: "rewardOutput")
            try record.encode(settings.steps, forKey: "steps")
            try record.encode(ppo.batchSize, forKey: "batchSize")
            try record.encode(ppo.miniBatchSize, forKey: "miniBatchSize")
            try record.encode(ppo.ppoEpochs, forKey: "ppoEpochs")
            try record.encode(ppo.learningRate, forKey: "learningRate")
            try record.encode(ppo.initKLCoef, forKey: "initKLCoef")
            try record.encode(ppo.klPenalty, forKey: "klPenalty")
            try record.encode(ppo.useScoreScaling, forKey: "normalizeScores")
            try record.encode(lengths, forKey: "lengths")
            try record.encode(settings.minNewTokens, forKey: "minNewTokens")
            try record.encode(settings.adapter.rank, forKey: "rank")
            try record.encode(settings.adapter.alpha, forKey: "alpha")
            try record.encode(settings.adapter.targets.names, forKey: "targets")
            try record.encode(settings.quantization, forKey: "quantization")
            try record.encode(settings.checkpointEvery, forKey: "checkpointEvery")
            try record.encodeIfPresent(
                settings.dialogueLength.map { [$0.lowerBound, $0.upperBound] }, forKey: "dialogueLength")
            try record.encode(settings.maxSourceLength, forKey: "maxSourceLength")
            try record.encodeSkippedRows(settings.malformedRows)
            // Written only when set, so the records of dialogue recipes stay as they were.
            try record.encodeIfPresent(settings.prompts?.name, forKey: "prompts")
            try record.encodeIfPresent(
                settings.queryLengths.map { [$0.range.lowerBound, $0.range.upperBound] }, forKey: "queryLengths")
            try record.encodeIfPresent(settings.policy == .lora ? nil : settings.policy, forKey: "policy")
            try record.encodeIfPresent(settings.numSharedLayers, forKey: "numSharedLayers")
        }
    }
}
