import DetoxCheckpoints
import DetoxDatasets
import DetoxEvaluation
import DetoxFiles
import DetoxLoRA
import DetoxModels
import DetoxTraining
import Foundation

/// Runs a ``Recipe``: each configured stage writes into its own folder of the run; a stage that
/// finished with the same settings is skipped (its `stage.json` says so), one that was interrupted
/// or whose settings changed runs again and resumes from its checkpoint, and every stage after a
/// stage that ran again runs again too.
public enum RecipeRunner {
    public struct StageReport: Sendable {
        public var name: String
        public var skipped: Bool
        public var folder: URL
    }

    struct Marker<Settings: Codable & Equatable>: Codable, Equatable {
        var stage: String
        var settings: Settings
        var model: String
        var seed: UInt64
    }

    static func finished<S: Codable & Equatable>(_ folder: URL, _ marker: Marker<S>) -> Bool {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("stage.json")),
            let saved = try? JSONDecoder().decode(Marker<S>.self, from: data)
        else { return false }
        return saved == marker
    }

    static func markFinished<S: Codable & Equatable>(_ folder: URL, _ marker: Marker<S>) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFileWriter.write([UInt8](try encoder.encode(marker)), to: folder.appendingPathComponent("stage.json"))
    }

    @discardableResult
    public static func run(
        _ recipe: Recipe, locator: ModelLocator = HubAccess.locator(),
        dataFile: (String) throws -> URL = { try HubAccess.dataFile($0) },
        log: (String) -> Void = { _ in }
    ) throws -> [StageReport] {
        var reports: [StageReport] = []
        try FileManager.default.createDirectory(at: recipe.output, withIntermediateDirectories: true)
        let model = try locator.folder(for: recipe.model)
        let train = try dataFile(recipe.train)
        let validation = try recipe.validation.map(dataFile)
        let test = try recipe.test.map(dataFile)

        // A stage that ran again changes what the stages after it read (the adapters), so they rerun too.
        var upstreamRan = false
        func stage<S: Codable & Equatable>(
            _ name: String, _ settings: S, feedsLaterStages: Bool = true, _ body: (URL) throws -> Void
        ) throws {
            let folder = recipe.output.appendingPathComponent(name)
            let marker = Marker(stage: name, settings: settings, model: recipe.model, seed: recipe.seed)
            if !upstreamRan, finished(folder, marker) {
                log("== \(name): finished earlier with the same settings, skipped")
                reports.append(StageReport(name: name, skipped: true, folder: folder))
                return
            }
            log("== \(name)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try body(folder)
            try markFinished(folder, marker)
            if feedsLaterStages { upstreamRan = true }
            reports.append(StageReport(name: name, skipped: false, folder: folder))
        }

        if let z = recipe.zeroShot {
            try stage("zero_shot", z, feedsLaterStages: false) { folder in
                var options = SummarizeStage.Options(model: model, dataFile: test ?? validation ?? train)
                options.limit = z.limit
                options.template = recipe.prompt
                options.generation = .greedy(maxNewTokens: z.maxNewTokens)
                options.outputFile = folder.appendingPathComponent("summaries.jsonl")
                _ = try SummarizeStage.run(options) { log("  " + $0) }
            }
        }
        var sftAdapter: URL?
        if let f = recipe.fineTune {
            let folder = recipe.output.appendingPathComponent("finetune")
            try stage("finetune", f) { folder in
                var options = FineTuneStage.Options(model: model, trainFile: train, outputFolder: folder)
                options.validationFile = validation
                options.template = recipe.prompt
                options.quantization = f.quantization
                options.doubleQuantization = f.doubleQuantization
                options.adapter = LoRAConfiguration(
                    rank: f.rank, alpha: f.alpha, dropout: f.dropout, targets: .names(f.targets),
                    baseModelNameOrPath: recipe.model)
                options.trainer.learningRate = f.learningRate
                options.trainer.epochs = f.epochs
                options.trainer.maxSteps = f.steps
                options.trainer.batchSize = f.batchSize
                options.trainer.gradientAccumulation = f.gradientAccumulation
                options.trainer.warmupSteps = f.warmupSteps
                options.trainer.maxSourceLength = f.maxSourceLength
                options.trainer.maxTargetLength = f.maxTargetLength
                options.trainer.evaluateEvery = f.evaluateEvery
                options.trainer.checkpointEvery = f.evaluateEvery
                options.trainer.seed = recipe.seed
                options.limit = f.limit
                options.dialogueLength = f.dialogueLength.map { $0[0]...$0[1] }
                _ = try FineTuneStage.run(options) { log("  " + $0) }
            }
            sftAdapter = folder.appendingPathComponent("adapter")
        }
        if let p = recipe.ppo {
            try stage("ppo", p) { folder in
                var options = try PPOStage.Options(
                    model: model, rewardModel: try locator.folder(for: p.rewardModel), dataFile: train,
                    outputFolder: folder)
                options.baseAdapters = sftAdapter.map { [$0] } ?? []
                options.rewardLabel = p.rewardLabel
                options.rewardOutput = RewardModel.Output(rawValue: p.rewardOutput) ?? .logit
                options.template = recipe.prompt
                options.adapter = LoRAConfiguration(
                    rank: p.rank, alpha: p.alpha, dropout: 0.05, targets: .names(p.targets),
                    baseModelNameOrPath: recipe.model)
                options.quantization = p.quantization
                options.ppo.learningRate = p.learningRate
                options.ppo.batchSize = p.batchSize
                options.ppo.miniBatchSize = p.miniBatchSize
                options.ppo.ppoEpochs = p.ppoEpochs
                options.ppo.initKLCoef = p.initKLCoef
                options.ppo.klPenalty = KLPenalty(rawValue: p.klPenalty) ?? .kl
                options.ppo.useScoreScaling = p.normalizeScores
                options.ppo.useScoreNorm = p.normalizeScores
                options.ppo.seed = recipe.seed
                options.steps = p.steps
                options.minNewTokens = p.minNewTokens
                options.lengthSampler = try LengthSampler(p.lengths[0], p.lengths[1])
                options.checkpointEvery = p.checkpointEvery
                options.dialogueLength = p.dialogueLength.map { $0[0]...$0[1] }
                options.maxSourceLength = p.maxSourceLength
                _ = try PPOStage.run(options) { log("  " + $0) }
            }
        }
        if let e = recipe.evaluate, let test {
            try stage("evaluate", e) { folder in
                let ppoFolder = recipe.output.appendingPathComponent("ppo")
                var options = EvaluateStage.Options(
                    model: model, after: ppoFolder, toxicityModel: try locator.folder(for: e.toxicityModel),
                    dataFile: test, outputFolder: folder)
                options.beforeAdapters = sftAdapter.map { [$0] } ?? []
                options.toxicLabel = e.toxicLabel
                options.rewardModel = try e.rewardModel.map { try locator.folder(for: $0) }
                options.rewardLabel = e.rewardLabel ?? recipe.ppo?.rewardLabel ?? "nothate"
                options.count = e.count
                options.template = recipe.prompt
                options.generation =
                    e.sample
                    ? GenerationConfig(
                        doSample: true, topK: 0, topP: 1, maxNewTokens: e.maxNewTokens, seed: recipe.seed)
                    : .greedy(maxNewTokens: e.maxNewTokens)
                options.trainingLog = ppoFolder.appendingPathComponent("ppo_log.jsonl")
                let result = try EvaluateStage.run(options) { log("  " + $0) }
                log(HTMLReport.terminalSummary(result.report.summary))
            }
        }
        return reports
    }
}
