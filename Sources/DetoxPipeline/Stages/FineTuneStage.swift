import DetoxDatasets
import DetoxDistributed
import DetoxFiles
import DetoxLoRA
import DetoxModels
import DetoxQuantization
import DetoxTraining
import Foundation

/// `detox finetune`: LoRA (or QLoRA) supervised fine-tuning of a language model on a dialogue set
/// (each dialogue rendered by the prompt template, its summary the completion) or on a file of
/// prompt/completion pairs.
///
/// Under `mpirun -np N` the ranks share every batch (see ``SupervisedTrainer``); rank 0 alone
/// claims the output folder, logs and writes.
public enum FineTuneStage {
    /// Everything a fine-tuning run is told apart from its files. The defaults here are the only
    /// ones: a recipe's `finetune` section and the command's flags change fields of a `Settings()`.
    public struct Settings: Sendable, Equatable {
        public var template = PromptTemplate.summarizeForFineTuning
        /// The prompt and completion fields of the data files; `nil` reads DialogSum dialogues and
        /// renders each with ``template``.
        public var fields: PromptCompletion.Fields?
        /// The course lab's adapter: rank 32, alpha 32, dropout 0.05 on PEFT's default modules for the
        /// model's family (the attention's q and v for T5, `c_attn` for GPT-2, `q_proj`/`v_proj` for
        /// GPT-Neo, Llama and Qwen2).
        public var adapter = LoRAConfiguration(rank: 32, alpha: 32, dropout: 0.05, targets: .familyDefault)
        public var quantization = BaseQuantization.none
        public var doubleQuantization = true
        public var trainer = SupervisedTrainer.Parameters()
        /// Keep dialogues whose length in characters is in this range.
        public var dialogueLength: ClosedRange<Int>?
        public var limit: Int?
        /// What a malformed data row does: stop the run naming its file and line (`.fail`), or be
        /// left out and counted in the log (`.skip`, the `--skip-bad-rows` flag).
        public var malformedRows = DialogueDataset.MalformedRowPolicy.fail

        public init() {}
    }

    /// The files of a run, its ``Settings`` (`options.trainer` reads and writes
    /// `options.settings.trainer`) and whether to continue from the output folder's checkpoint.
    public struct Options: StageOptions, Sendable {
        public var model: URL
        public var trainFile: URL
        public var validationFile: URL?
        public var outputFolder: URL
        public var settings: Settings
        public var resume = true

        public init(model: URL, trainFile: URL, outputFolder: URL, settings: Settings = Settings()) {
            self.model = model
            self.trainFile = trainFile
            self.outputFolder = outputFolder
            self.settings = settings
        }
    }

    public struct Result: Sendable {
        public var adapterFolder: URL
        public var steps: Int
        public var firstLoss: Float?
        public var finalLoss: Float?
        /// Validation loss at the first and at the last evaluation.
        public var firstValidationLoss: Float?
        public var finalValidationLoss: Float?
        public var footprint: QuantizedFootprint
    }

    public static func run(_ options: Options, log rootLog: (String) -> Void = { _ in }) throws -> Result {
        try DistributedRun.claiming(options.outputFolder, log: rootLog) { try run(options, world: $0, log: $1) }
    }

    static func run(_ options: Options, world: any Communicator, log: (String) -> Void) throws -> Result {
        let isRoot = world.isRoot
        try DetoxError.requireNonNegative(options.limit, "limit")
        var train = try examples(options.trainFile, options.settings, lengthFilter: true, log: log)
        if let limit = options.limit { train = Array(train.prefix(limit)) }
        var validation = try options.validationFile.map {
            try examples($0, options.settings, lengthFilter: false, log: log)
        }
        if let limit = options.limit, let v = validation { validation = Array(v.prefix(Swift.max(1, limit / 4))) }

        var requested = options.adapter
        requested.baseModelNameOrPath = requested.baseModelNameOrPath ?? options.model.path
        let (model, tokenizer, applied) = try PolicyLoading.load(
            folder: options.model, quantization: options.quantization, doubleQuantization: options.doubleQuantization,
            newAdapter: requested, seed: options.trainer.seed)
        let adapter = applied ?? requested
        let footprint = model.quantizedFootprint
        log("base weights: \(footprint)")
        var described = options.settings
        described.adapter.otherFields = [:] // a dictionary: its order differs between processes
        try world.requireSameSettings(
            DistributedRun.fingerprint(options.trainer, described, options.model.path, train.count, validation?.count),
            what: "fine-tuning settings")
        let trainer = try SupervisedTrainer(
            model: model, tokenizer: tokenizer, train: train, validation: validation, parameters: options.trainer,
            adapterConfiguration: adapter, outputFolder: options.outputFolder, communicator: world)
        try runSettings(options, adapter: adapter).check(
            folder: options.outputFolder,
            resuming: options.resume && TrainingCheckpoint.exists(at: trainer.checkpointFolder))
        log(
            "fine-tuning \(model.trainableParameters().reduce(0) { $0 + $1.parameter.tensor.count }) adapter parameters on \(train.count) examples for \(trainer.totalSteps) steps\(DistributedRun.ranks(world))"
        )
        var clock: ProgressClock?
        try trainer.run(resume: options.resume) { record in
            // The clock starts at the first report, so the step just reported was not timed by it.
            if clock == nil { clock = ProgressClock(total: trainer.totalSteps, startingAt: record.step) }
            var line = String(
                format: "step %4d/%d  loss %.4f  lr %.2e  (%@)", record.step, trainer.totalSteps, record.loss,
                record.learningRate, clock?.describe(done: record.step) ?? "")
            if let eval = record.evalLoss { line += String(format: "  eval_loss %.4f", eval) }
            log(line)
        }
        let timing = trainer.timing
        if timing.steps > 0 {
            log(
                String(
                    format: "%d steps in %.2f s: %.1f ms per step, allreduce %.2f ms per step (%d bytes)%@",
                    timing.steps, timing.seconds, 1000 * timing.seconds / Double(timing.steps),
                    1000 * timing.allreduceSeconds / Double(timing.steps), timing.allreduceBytes,
                    DistributedRun.ranks(world)))
        }
        return Result(
            adapterFolder: options.outputFolder.appendingPathComponent("adapter"), steps: trainer.step,
            firstLoss: trainer.history.first?.loss, finalLoss: trainer.history.last?.loss,
            firstValidationLoss: trainer.history.first(where: { $0.evalLoss != nil })?.evalLoss,
            finalValidationLoss: trainer.history.last(where: { $0.evalLoss != nil })?.evalLoss, footprint: footprint)
    }

    /// The settings that shape a fine-tuning run's result, recorded beside its checkpoint: all of
    /// ``Settings`` but the step count and the evaluation and checkpoint intervals, plus the model
    /// folder and the identity of the data files.
    static func runSettings(_ options: Options, adapter: LoRAConfiguration) throws -> RunSettingsRecord {
        var values = try RunSettingsRecord.flattened(options.trainer, prefix: "trainer")
        for key in ["trainer.maxSteps", "trainer.epochs", "trainer.evaluateEvery", "trainer.checkpointEvery"] {
            values[key] = nil
        }
        values.merge(try RunSettingsRecord.flattened(json: try adapter.jsonData(), prefix: "adapter")) { $1 }
        values.merge(try RunSettingsRecord.flattened(options.template, prefix: "template")) { $1 }
        if let fields = options.fields {
            values.merge(try RunSettingsRecord.flattened(fields, prefix: "fields")) { $1 }
        }
        values["quantization"] = options.quantization.rawValue
        values["doubleQuantization"] = "\(options.doubleQuantization)"
        values["dialogueLength"] = options.dialogueLength.map { "\($0)" }
        values["limit"] = options.limit.map { "\($0)" }
        values["skipBadRows"] = "\(options.malformedRows == .skip)"
        values.merge(try modelIdentity(options.model, key: "model")) { $1 }
        values["trainFile"] = try RunSettingsRecord.fileIdentity(options.trainFile)
        values["validationFile"] = try options.validationFile.map(RunSettingsRecord.fileIdentity)
        return RunSettingsRecord(values)
    }

    /// A model folder in a run's settings record: its path and its `config.json`'s identity.
    static func modelIdentity(_ folder: URL, key: String) throws -> [String: String] {
        [
            key: folder.standardizedFileURL.path,
            "\(key).config": try RunSettingsRecord.fileIdentity(folder.appendingPathComponent("config.json")),
        ]
    }

    /// The examples of a data file: prompt/completion pairs as `settings.fields` names them, or
    /// DialogSum dialogues through the template (with `lengthFilter`, only those whose length is in
    /// `settings.dialogueLength`). Malformed rows are handled as `settings.malformedRows` says.
    static func examples(_ file: URL, _ settings: Settings, lengthFilter: Bool, log: (String) -> Void) throws
        -> [PromptCompletion]
    {
        let examples: [PromptCompletion]
        let skipped: [DatasetError]
        if let fields = settings.fields {
            (examples, skipped) = try PromptCompletion.load(file, fields: fields, malformedRows: settings.malformedRows)
        } else {
            var dialogues = try DialogueDataset.load(file, malformedRows: settings.malformedRows)
            if lengthFilter, let range = settings.dialogueLength {
                dialogues = dialogues.filtered(dialogueLength: range)
            }
            (examples, skipped) = (dialogues.examples(template: settings.template), dialogues.skipped)
        }
        DataLoading.reportSkipped(skipped, in: file, log: log)
        return examples
    }
}
