import Foundation

extension Recipe {
    /// The `zero_shot` section: summaries of the base model, with ``SummarizeStage/Settings``.
    public struct ZeroShot: Sendable, Equatable, Encodable {
        public var settings: SummarizeStage.Settings

        public init(settings: SummarizeStage.Settings) { self.settings = settings }

        init(_ node: inout RecipeNode, recipe: Recipe) throws {
            settings = SummarizeStage.Settings()
            settings.template = recipe.prompt
            settings.malformedRows = recipe.malformedRows
            settings.limit = try node.int("limit") ?? settings.limit
            settings.generation.maxNewTokens = try node.int("max_new_tokens") ?? settings.generation.maxNewTokens
            try node.checkNoUnknownKeys()
        }

        /// The stage's record in `stage.json`.
        public func encode(to encoder: any Encoder) throws {
            var record = encoder.container(keyedBy: StageRecordKey.self)
            try record.encode(settings.limit, forKey: "limit")
            try record.encode(settings.generation.maxNewTokens, forKey: "maxNewTokens")
            try record.encodeSkippedRows(settings.malformedRows)
        }
    }
}
