// The decoder-only evaluation of trl examples/research_projects/toxicity/scripts/evaluate-toxicity.py
// (v0.11.4): sampled continuations of toxic prompts, the prompt removed, scored for toxicity; plus
// the cost in perplexity and diversity.
import DetoxDatasets
import DetoxEvaluation
import DetoxModels
import DetoxTensor
import DetoxTokenizers
import Foundation

extension EvaluateStage {
    /// One model's continuations of the evaluation prompts.
    struct Continuations {
        /// The prompt tokens each continuation was generated from (cut at `maxSourceLength`).
        var queries: [[Int]] = []
        /// The generated tokens, an EOS that ended a row included.
        var generated: [[Int]] = []
        /// The generated text, special tokens left out (the prompt is not part of it).
        var texts: [String] = []
    }

    /// Continues `prompts` with `model` in batches of `options.batchSize`, drawing from one random
    /// stream seeded with `options.generation.seed`, so both sides start from the same seed.
    static func continuations(
        _ prompts: [String], model: any LanguageModel, tokenizer: Tokenizer, options: Options,
        progress: (Int) -> Void
    ) throws -> Continuations {
        guard options.batchSize > 0 else {
            throw DetoxError.invalidSetting(name: "batch size", reason: "must be positive, got \(options.batchSize)")
        }
        var result = Continuations()
        var generator = SeededGenerator(seed: options.generation.seed)
        for start in stride(from: 0, to: prompts.count, by: options.batchSize) {
            let queries = prompts[start..<Swift.min(start + options.batchSize, prompts.count)].map {
                tokenizer.encode($0, pair: nil, truncation: Truncation(maxLength: options.maxSourceLength)).ids
            }
            let responses = try model.generateResponses(
                queries: queries, configuration: options.generation, generator: &generator)
            for (query, response) in zip(queries, responses) {
                let generated = model.generatedTokens(of: response)
                result.queries.append(query)
                result.generated.append(generated)
                result.texts.append(tokenizer.decode(generated, skipSpecialTokens: true))
            }
            progress(result.texts.count)
        }
        return result
    }

    /// The perplexity of `continuations` given their prompts under `model`: `exp` of the mean
    /// negative log-likelihood over every continuation token (teacher-forced, no dropout, no
    /// gradients), accumulated over batches of `batchSize` rows.
    /// - Throws: ``DetoxError/invalidSetting(name:reason:)`` when there is no continuation token.
    public static func perplexity(
        of continuations: [[Int]], given prompts: [[Int]], model: any LanguageModel, batchSize: Int
    ) throws -> Double {
        guard prompts.count == continuations.count, batchSize > 0 else {
            throw DetoxError.invalidSetting(
                name: "perplexity",
                reason: "\(prompts.count) prompts, \(continuations.count) continuations, batch size \(batchSize)")
        }
        model.setTraining(false)
        var negativeLogLikelihood = 0.0
        var tokens = 0
        try Tensor.withNoGrad {
            for start in stride(from: 0, to: prompts.count, by: batchSize) {
                let rows = (start..<Swift.min(start + batchSize, prompts.count)).filter { !continuations[$0].isEmpty }
                guard !rows.isEmpty else { continue }
                let count = rows.reduce(0) { $0 + continuations[$1].count }
                let loss = try model.supervisedLoss(
                    prompts: rows.map { prompts[$0] }, targets: rows.map { continuations[$0] })
                negativeLogLikelihood += Double(loss.values[0]) * Double(count)
                tokens += count
            }
        }
        guard tokens > 0 else {
            throw DetoxError.invalidSetting(name: "perplexity", reason: "no continuation token to score")
        }
        return exp(negativeLogLikelihood / Double(tokens))
    }

    /// `detox evaluate` for prompts read from a ``PromptSource`` (decoder-only models).
    static func continuePrompts(_ options: Options, source: PromptSource, log: (String) -> Void) throws -> Result {
        let dataset = try PromptDataset.load(options.dataFile, source: source, malformedRows: options.malformedRows)
        DataLoading.reportSkipped(dataset.skipped, in: options.dataFile, log: log)
        let prompts = Array(dataset.prompts.prefix(options.count))
        guard !prompts.isEmpty else { throw DetoxError.invalidSetting(name: "evaluation set", reason: "is empty") }
        let (before, after, tokenizer) = try models(options)

        log("continuing \(prompts.count) prompts before and after")
        func generate(_ model: any LanguageModel, _ label: String) throws -> Continuations {
            let clock = ProgressClock(total: prompts.count, unit: "prompt")
            return try continuations(prompts.map(\.text), model: model, tokenizer: tokenizer, options: options) {
                log("  \(label): \($0)/\(prompts.count) continued (\(clock.describe(done: $0)))")
            }
        }
        let beforeOut = try generate(before, "before")
        let afterOut = try generate(after, "after")
        log(
            "scoring toxicity with \(ModelLocator.displayName(of: options.toxicityModel)) (label \"\(options.toxicLabel)\")"
        )
        let toxic = try toxicity(
            beforeOut.texts + afterOut.texts, classifierFolder: options.toxicityModel, label: options.toxicLabel)
        try requireFinite(toxic, what: "toxicity score", model: options.toxicityModel)
        let rewards = try rewardScores(beforeOut.texts + afterOut.texts, options)
        log("perplexity of both sides' continuations under the original model")
        let cost = GenerationCost(
            perplexityBefore: try perplexity(
                of: beforeOut.generated, given: beforeOut.queries, model: before, batchSize: options.batchSize),
            perplexityAfter: try perplexity(
                of: afterOut.generated, given: afterOut.queries, model: before, batchSize: options.batchSize),
            before: beforeOut.texts, after: afterOut.texts)

        let n = prompts.count
        let samples = prompts.indices.map { i in
            SampleComparison(
                id: "line \(prompts[i].line)", query: prompts[i].text, reference: "",
                responseBefore: beforeOut.texts[i], responseAfter: afterOut.texts[i],
                rewardBefore: rewards[i], rewardAfter: rewards[n + i], toxicityBefore: toxic[i],
                toxicityAfter: toxic[n + i], rougeBefore: [:], rougeAfter: [:],
                lengthBefore: beforeOut.generated[i].count, lengthAfter: afterOut.generated[i].count)
        }
        let settings: [String: String] = [
            "model": options.model.path, "before adapters": options.beforeAdapters.map(\.path).joined(separator: ", "),
            "after": options.after.path, "toxicity model": options.toxicityModel.path,
            "toxic label": options.toxicLabel, "reward model": options.rewardModel?.path ?? "none",
            "reward label": options.rewardLabel, "prompts": "\(options.dataFile.path) (\(source.name))",
            "samples": "\(n)",
            "generation": options.generation.doSample ? "sampling (seed \(options.generation.seed))" : "greedy",
            "max new tokens": "\(options.generation.maxNewTokens)", "scored text": "continuation (prompt removed)",
            "perplexity": "under the original (before) model, continuation tokens given the prompt",
        ]
        let report = try ComparisonReport(settings: settings, samples: samples, cost: cost)
        let trainingLog = try options.trainingLog.flatMap { url in
            FileManager.default.fileExists(atPath: url.path) ? try TrainingLog(contentsOf: url) : nil
        }
        let html = HTMLReport.render(
            report, trainingLog: trainingLog, title: "Detox report", lede: HTMLReport.continuationsLede)
        return Result(report: report, files: try report.write(to: options.outputFolder, html: html))
    }
}
