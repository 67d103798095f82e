import DetoxDatasets
import DetoxModels
import Foundation

extension Recipe {
    /// The `evaluate` section: the toxicity evaluator and optional reward classifier (Hub ids or
    /// folders, located when the stage runs) and ``EvaluateStage/Settings``. Without a
    /// `reward_label` the reward columns use the `ppo` section's label.
    public struct Evaluate: Sendable, Equatable, Encodable {
        public var toxicityModel: String
        public var rewardModel: String?
        public var settings: EvaluateStage.Settings
        /// `reward_label` as the recipe wrote it, which is what `stage.json` records.
        var writtenRewardLabel: String?

        public init(toxicityModel: String, rewardModel: String?, settings: EvaluateStage.Settings) {
            self.toxicityModel = toxicityModel
            self.rewardModel = rewardModel
            self.settings = settings
            writtenRewardLabel = settings.rewardLabel
        }

        init(_ node: inout RecipeNode, recipe: Recipe, base: URL) throws {
            guard let toxicity = try node.string("toxicity_model") else {
                throw node.error("toxicity_model", "missing")
            }
            toxicityModel = Recipe.resolve(toxicity, in: base)
            let source = try PPO.readPrompts(&node)
            var s = source.map { EvaluateStage.Settings(prompts: $0) } ?? EvaluateStage.Settings()
            s.template = recipe.prompt
            s.malformedRows = recipe.malformedRows
            s.toxicLabel = try node.string("toxic_label") ?? s.toxicLabel
            rewardModel = try node.string("reward_model").map { Recipe.resolve($0, in: base) }
            writtenRewardLabel = try node.string("reward_label")
            s.rewardLabel = writtenRewardLabel ?? recipe.ppo?.settings.rewardLabel ?? s.rewardLabel
            s.count = try node.int("count") ?? s.count
            let maxNewTokens = try node.int("max_new_tokens") ?? s.generation.maxNewTokens
            s.generation =
                try node.bool("sample") ?? s.generation.doSample
                ? .sampling(maxNewTokens: maxNewTokens, seed: recipe.seed)
                : .greedy(maxNewTokens: maxNewTokens)
            try node.checkNoUnknownKeys()
            settings = s
        }

        /// The stage's record in `stage.json`.
        public func encode(to encoder: any Encoder) throws {
            var record = encoder.container(keyedBy: StageRecordKey.self)
            try record.encode(toxicityModel, forKey: "toxicityModel")
            try record.encode(settings.toxicLabel, forKey: "toxicLabel")
            try record.encodeIfPresent(rewardModel, forKey: "rewardModel")
            try record.encodeIfPresent(writtenRewardLabel, forKey: "rewardLabel")
            try record.encode(settings.count, forKey: "count")
            try record.encode(settings.generation.maxNewTokens, forKey: "maxNewTokens")
            try record.encode(settings.generation.doSample, forKey: "sample")
            try record.encodeSkippedRows(settings.malformedRows)
            // Written only when set, so the records of dialogue recipes stay as they were.
            try record.encodeIfPresent(settings.prompts?.name, forKey: "prompts")
        }
    }
}
