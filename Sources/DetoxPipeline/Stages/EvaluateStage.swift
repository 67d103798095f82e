import DetoxDatasets
import DetoxDistributed
import DetoxEvaluation
import DetoxFiles
import DetoxLoRA
import DetoxModels
import DetoxTensor
import DetoxTokenizers
import DetoxTraining
import Foundation

/// `detox evaluate`: the same test prompts summarized before and after detoxification, scored for
/// toxicity (an evaluator classifier, `evaluate`'s `toxicity` semantics), reward and ROUGE, with
/// the comparison table and the HTML report.
public enum EvaluateStage {
    /// Everything an evaluation is told apart from its files. The defaults here are the only ones:
    /// a recipe's `evaluate` section and the command's flags change fields of a `Settings()`.
    public struct Settings: Sendable, Equatable {
        public var toxicLabel = "hate"
        /// The label PPO trains for, so that the reward columns show what PPO optimized.
        public var rewardLabel = PPOStage.Settings().rewardLabel
        public var count = 20
        public var template = PromptTemplate.summarize
        /// Greedy by default for a stable comparison.
        public var generation = GenerationConfig.greedy(maxNewTokens: 64)
        public var batchSize = 8
        public var maxSourceLength = 512
        /// Score `prompt + " " + summary` rather than the summary alone (what the course lab did).
        public var scoreWithPrompt = false
        /// What a malformed data row does: stop the run naming its file and line (`.fail`), or be
        /// left out and counted in the log (`.skip`, the `--skip-bad-rows` flag).
        public var malformedRows = DialogueDataset.MalformedRowPolicy.fail
        /// Where the prompts come from: `nil` summarizes dialogues (the T5 path); a source
        /// continues prompts read as they are (decoder-only models).
        public var prompts: PromptSource?

        /// The summarization defaults.
        public init() {}

        /// The defaults for continuing prompts from `source`, those of TRL's evaluation script:
        /// 30 new tokens sampled with a fixed seed (42), up to 400 prompts.
        public init(prompts source: PromptSource) {
            prompts = source
            count = 400
            generation = .sampling(maxNewTokens: 30, seed: 42)
        }
    }

    /// The models and files of an evaluation and its ``Settings`` (`options.count` reads and
    /// writes `options.settings.count`).
    public struct Options: StageOptions, Sendable {
        public var model: URL
        /// Adapters merged into the base for the "before" model (e.g. the SFT adapter); empty for the base.
        public var beforeAdapters: [URL] = []
        /// The PPO run folder (its `adapter/` and the adapters it merged, or its `model/` for a full
        /// policy) or a bare adapter folder.
        public var after: URL
        public var toxicityModel: URL
        public var rewardModel: URL?
        public var dataFile: URL
        public var outputFolder: URL
        public var trainingLog: URL?
        public var settings: Settings

        public init(
            model: URL, after: URL, toxicityModel: URL, dataFile: URL, outputFolder: URL,
            settings: Settings = Settings()
        ) {
            self.model = model
            self.after = after
            self.toxicityModel = toxicityModel
            self.dataFile = dataFile
            self.outputFolder = outputFolder
            self.settings = settings
        }
    }

    public struct Result: Sendable {
        public var report: ComparisonReport
        public var files: [URL]
    }

    /// Probabilities of `label` from a classifier folder for each text (truncated to the model's
    /// positions), as `evaluate.load("toxicity")` computes them.
    public static func toxicity(_ texts: [String], classifierFolder: URL, label: String, batchSize: Int = 16) throws
        -> [Double]
    {
        let classifier = try SequenceClassifierModel.load(folder: classifierFolder)
        let tokenizer = try Tokenizer.load(from: classifierFolder)
        let maxLength = ModelFolder(classifierFolder).maxPositions
        let reward = try RewardModel(
            classifier: classifier, tokenizer: tokenizer, label: label, output: .probability,
            maxLength: maxLength, batchSize: batchSize)
        return try reward.scores(texts).map(Double.init)
    }

    /// Refuses NaN or infinite classifier scores (a broken model), naming the text they belong to.
    static func requireFinite(_ scores: [Double], what: String, model: URL) throws {
        guard let bad = scores.firstIndex(where: { !$0.isFinite }) else { return }
        throw DetoxError.invalidSetting(
            name: "evaluate",
            reason: "the \(what) of text \(bad + 1) from \(ModelLocator.displayName(of: model)) is \(scores[bad]); "
                + "the classifier's weights are not finite")
    }

    /// The reward model's scores of `texts` (its label's logit), NaN for each without a reward model.
    static func rewardScores(_ texts: [String], _ options: Options) throws -> [Double] {
        guard let rewardFolder = options.rewardModel else { return [Double](repeating: .nan, count: texts.count) }
        let reward = try RewardModel(
            classifier: try SequenceClassifierModel.load(folder: rewardFolder),
            tokenizer: try Tokenizer.load(from: rewardFolder), label: options.rewardLabel,
            maxLength: ModelFolder(rewardFolder).maxPositions)
        let scores = try reward.scores(texts).map(Double.init)
        try requireFinite(scores, what: "reward", model: rewardFolder)
        return scores
    }

    /// Before: the base with the given adapters merged. After: the PPO run's base (with the adapters
    /// it merged) plus its adapter, the whole model a full-policy run trained, or the base plus a
    /// bare adapter folder.
    static func models(_ options: Options) throws -> (before: any LanguageModel, after: any LanguageModel, Tokenizer) {
        let (before, tokenizer) = try PPOStage.loadMergedBase(
            model: options.model, baseAdapters: options.beforeAdapters, quantization: .none, doubleQuantization: false)
        let fullModel = options.after.appendingPathComponent(PPOStage.fullModelFolder)
        if FileManager.default.fileExists(atPath: fullModel.appendingPathComponent("config.json").path) {
            return (before, try LanguageModelLoader.load(folder: fullModel), tokenizer)
        }
        let isRun = FileManager.default.fileExists(
            atPath: options.after.appendingPathComponent("adapter").appendingPathComponent(LoRA.configFileName).path)
        let afterAdapter = isRun ? options.after.appendingPathComponent("adapter") : options.after
        let (after, _) = try PPOStage.loadMergedBase(
            model: options.model, baseAdapters: isRun ? PPOStage.baseAdapters(ofRun: options.after) : [],
            quantization: .none, doubleQuantization: false)
        try LoRA.load(from: afterAdapter, into: after, modelType: after.modelType)
        return (before, after, tokenizer)
    }

    /// Summarizes the test dialogues before and after, scores them and writes the report. Under
    /// `mpirun` the ranks share the summarizing (the costly part) and every rank receives all
    /// summaries; each scores them, and rank 0 alone logs and writes, so the report is the one a
    /// single process writes.
    public static func run(_ options: Options, log rootLog: (String) -> Void = { _ in }) throws -> Result {
        try DistributedRun.claiming(options.outputFolder, log: rootLog) { try run(options, world: $0, log: $1) }
    }

    static func run(_ options: Options, world: any Communicator, log: (String) -> Void) throws -> Result {
        let isRoot = world.isRoot
        try DetoxError.requireNonNegative(options.count, "count")
        if let source = options.prompts { return try continuePrompts(options, source: source, world: world, log: log) }
        let records = try DataLoading.dialogues(options.dataFile, options.malformedRows, log: log)
            .prefix(options.count).records
        guard !records.isEmpty else { throw DetoxError.invalidSetting(name: "evaluation set", reason: "is empty") }
        let (before, after, tokenizer) = try models(options)

        log("summarizing \(records.count) test dialogues before and after")
        func summarize(_ model: any LanguageModel, _ label: String) throws -> [(
            prompt: String, summary: String, tokens: Int
        )] {
            let clock = ProgressClock(total: records.count, unit: "dialogue")
            return try SummarizeStage.summarize(
                records, model: model, tokenizer: tokenizer, template: options.template, batchSize: options.batchSize,
                maxSourceLength: options.maxSourceLength, generation: options.generation, communicator: world
            ) { done, total in
                log("  \(label): \(done)/\(total) summarized (\(clock.describe(done: done)))")
            }
        }
        let beforeOut = try summarize(before, "before")
        let afterOut = try summarize(after, "after")
        let scored = { (outputs: [(prompt: String, summary: String, tokens: Int)]) in
            options.scoreWithPrompt ? outputs.map { $0.prompt + " " + $0.summary } : outputs.map(\.summary)
        }
        log(
            "scoring toxicity with \(ModelLocator.displayName(of: options.toxicityModel)) (label \"\(options.toxicLabel)\")"
        )
        // One load of the evaluator scores both sides.
        let toxic = try toxicity(
            scored(beforeOut) + scored(afterOut), classifierFolder: options.toxicityModel, label: options.toxicLabel)
        try requireFinite(toxic, what: "toxicity score", model: options.toxicityModel)
        let toxicBefore = Array(toxic[..<records.count])
        let toxicAfter = Array(toxic[records.count...])
        let rewards = try rewardScores(scored(beforeOut) + scored(afterOut), options)
        let rewardBefore = Array(rewards[..<records.count])
        let rewardAfter = Array(rewards[records.count...])
        let scorer = try RougeScorer(types: [.rouge1, .rouge2, .rougeL, .rougeLsum], useStemmer: true)
        // A row without a reference summary has no ROUGE (not a score of 0), so the means cover
        // the rows that have one and are absent when none has.
        func rouge(_ reference: String, _ summary: String) -> [String: Double] {
            guard !reference.isEmpty else { return [:] }
            return Dictionary(
                uniqueKeysWithValues: scorer.score(target: reference, prediction: summary).map {
                    ($0.key.name, $0.value.fmeasure)
                })
        }
        var samples: [SampleComparison] = []
        for (i, record) in records.enumerated() {
            samples.append(
                SampleComparison(
                    id: record.id, query: beforeOut[i].prompt, reference: record.summary,
                    responseBefore: beforeOut[i].summary, responseAfter: afterOut[i].summary,
                    rewardBefore: rewardBefore[i], rewardAfter: rewardAfter[i],
                    toxicityBefore: toxicBefore[i], toxicityAfter: toxicAfter[i],
                    rougeBefore: rouge(record.summary, beforeOut[i].summary),
                    rougeAfter: rouge(record.summary, afterOut[i].summary),
                    lengthBefore: beforeOut[i].tokens, lengthAfter: afterOut[i].tokens))
        }
        let settings: [String: String] = [
            "model": options.model.path, "before adapters": options.beforeAdapters.map(\.path).joined(separator: ", "),
            "after": options.after.path, "toxicity model": options.toxicityModel.path,
            "toxic label": options.toxicLabel,
            "reward model": options.rewardModel?.path ?? "none", "reward label": options.rewardLabel,
            "samples": "\(records.count)",
            "generation": options.generation.doSample ? "sampling (seed \(options.generation.seed))" : "greedy",
            "max new tokens": "\(options.generation.maxNewTokens)",
            "scored text": options.scoreWithPrompt ? "prompt + summary" : "summary",
        ]
        let report = try ComparisonReport(settings: settings, samples: samples)
        let trainingLog = try options.trainingLog.flatMap { url in
            FileManager.default.fileExists(atPath: url.path) ? try TrainingLog(contentsOf: url) : nil
        }
        let html = HTMLReport.render(report, trainingLog: trainingLog, title: "Detox report")
        let files = world.isRoot ? try report.write(to: options.outputFolder, html: html) : []
        return Result(report: report, files: files)
    }
}
