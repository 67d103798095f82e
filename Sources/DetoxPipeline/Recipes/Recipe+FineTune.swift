import DetoxDatasets
import DetoxLoRA
import Foundation

extension Recipe {
    /// The `finetune` section: LoRA or QLoRA fine-tuning with ``FineTuneStage/Settings``.
    public struct FineTune: Sendable, Equatable, Encodable {
        public var settings: FineTuneStage.Settings

        public init(settings: FineTuneStage.Settings) { self.settings = settings }

        /// `quantize`: how the base weights are stored while the adapter trains.
        public var quantization: BaseQuantization { settings.quantization }
        /// `lora.rank` and `lora.targets`.
        public var rank: Int { settings.adapter.rank }
        public var targets: [String] { settings.adapter.targets.names }

        init(_ node: inout RecipeNode, recipe: Recipe) throws {
            var s = FineTuneStage.Settings()
            s.template = recipe.prompt
            s.malformedRows = recipe.malformedRows
            s.adapter.baseModelNameOrPath = recipe.model
            s.adapter.targets = Recipe.defaultAdapterTargets
            s.trainer.seed = recipe.seed
            s.quantization =
                try node.choice("quantize") { "expected none, nf4 or fp4, found \"\($0)\"" } ?? s.quantization
            s.doubleQuantization = try node.bool("double_quant") ?? s.doubleQuantization
            if var lora = try node.child("lora") {
                try lora.readAdapter(into: &s.adapter, dropout: true)
            }
            s.trainer.learningRate = try node.double("learning_rate") ?? s.trainer.learningRate
            s.trainer.epochs = try node.int("epochs") ?? s.trainer.epochs
            s.trainer.maxSteps = try node.int("steps") ?? s.trainer.maxSteps
            s.trainer.batchSize = try node.int("batch_size") ?? s.trainer.batchSize
            s.trainer.gradientAccumulation = try node.int("gradient_accumulation") ?? s.trainer.gradientAccumulation
            s.trainer.warmupSteps = try node.int("warmup_steps") ?? s.trainer.warmupSteps
            s.trainer.maxSourceLength = try node.int("max_source_length") ?? s.trainer.maxSourceLength
            s.trainer.maxTargetLength = try node.int("max_target_length") ?? s.trainer.maxTargetLength
            s.trainer.evaluateEvery = try node.int("evaluate_every") ?? s.trainer.evaluateEvery
            s.trainer.checkpointEvery = s.trainer.evaluateEvery
            s.limit = try node.int("limit") ?? s.limit
            s.dialogueLength = try node.closedRange("dialogue_length") ?? s.dialogueLength
            s.fields =
                PromptCompletion.Fields(naming: try node.string("prompt_field"), try node.string("completion_field"))
                ?? s.fields
            try node.checkNoUnknownKeys()
            settings = s
        }

        /// The stage's record in `stage.json`.
        public func encode(to encoder: any Encoder) throws {
            var record = encoder.container(keyedBy: StageRecordKey.self)
            let trainer = settings.trainer
            try record.encode(settings.quantization, forKey: "quantization")
            try record.encode(settings.doubleQuantization, forKey: "doubleQuantization")
            try record.encode(settings.adapter.rank, forKey: "rank")
            try record.encode(settings.adapter.alpha, forKey: "alpha")
            try record.encode(settings.adapter.dropout, forKey: "dropout")
            try record.encode(targets, forKey: "targets")
            try record.encode(trainer.learningRate, forKey: "learningRate")
            try record.encode(trainer.epochs, forKey: "epochs")
            try record.encodeIfPresent(trainer.maxSteps, forKey: "steps")
            try record.encode(trainer.batchSize, forKey: "batchSize")
            try record.encode(trainer.gradientAccumulation, forKey: "gradientAccumulation")
            try record.encode(trainer.warmupSteps, forKey: "warmupSteps")
            try record.encode(trainer.maxSourceLength, forKey: "maxSourceLength")
            try record.encode(trainer.maxTargetLength, forKey: "maxTargetLength")
            try record.encode(trainer.evaluateEvery, forKey: "evaluateEvery")
            try record.encodeIfPresent(settings.limit, forKey: "limit")
            try record.encodeIfPresent(
                settings.dialogueLength.map { [$0.lowerBound, $0.upperBound] }, forKey: "dialogueLength")
            try record.encodeIfPresent(settings.fields, forKey: "fields")
            try record.encodeSkippedRows(settings.malformedRows)
        }
    }
}

extension Recipe {
    /// The adapter targets of a recipe whose `lora` mapping names none: T5's `q` and `v`, as the
    /// first release recorded them in `stage.json` (recipes are T5 dialogue-summarization runs), where
    /// the stage commands and ``FineTuneStage/Settings`` take the model family's PEFT default.
    static let defaultAdapterTargets = LoRAConfiguration.Targets.names(["q", "v"])
}
