import DetoxDistributed
import DetoxEvaluation
import DetoxFiles
import Foundation

/// Runs a ``Recipe``: each configured stage writes into its own folder of the run; a stage that
/// finished with the same settings and inputs is skipped (its `stage.json` and `inputs.json` say
/// so), one that was interrupted or whose settings changed runs again and resumes from its
/// checkpoint (refused when a setting that shapes the result changed: see `RunSettingsRecord`), one
/// whose input files changed (see ``StageInputs``) starts over, and every stage after a stage that
/// ran again starts over too, since what it read has changed.
///
/// Under `mpirun` every rank walks the recipe; the stages share their work (see each stage), and
/// rank 0 alone claims the run folder and writes `stage.json` and `inputs.json`.
public enum RecipeRunner {
    public struct StageReport: Sendable {
        public var name: String
        public var skipped: Bool
        public var folder: URL
    }

    /// What `stage.json` says of a finished stage.
    struct Marker<Settings: Encodable>: Encodable {
        var stage: String
        var settings: Settings
        var model: String
        var seed: UInt64
    }

    /// The bytes of a marker; a stage is finished when its `stage.json` holds exactly these.
    static func encoded<S: Encodable>(_ marker: Marker<S>) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(marker)
    }

    static func finished(_ folder: URL, _ marker: Data) -> Bool {
        FileManager.default.contents(atPath: folder.appendingPathComponent("stage.json").path) == marker
    }

    /// Runs the recipe's stages in order. With `restart`, every stage runs again from scratch:
    /// finished stages are not skipped and training stages ignore their checkpoints.
    @discardableResult
    public static func run(
        _ recipe: Recipe, locator: ModelLocator = HubAccess.locator(),
        dataFile: (String) throws -> URL = { try HubAccess.dataFile($0) }, restart: Bool = false,
        log: (String) -> Void = { _ in }
    ) throws -> [StageReport] {
        var reports: [StageReport] = []
        let world = try Distributed.world()
        let claim = world.isRoot ? try FolderLock(claiming: recipe.output) : nil
        defer { withExtendedLifetime(claim) {} }
        // Each model is looked up once per run: a slow or unreachable Hub costs its wait once.
        var located: [String: URL] = [:]
        func locate(_ argument: String) throws -> URL {
            if let folder = located[argument] { return folder }
            let folder = try locator.folder(for: argument)
            located[argument] = folder
            return folder
        }
        let model = try locate(recipe.model)
        let train = try dataFile(recipe.train)
        let validation = try recipe.validation.map(dataFile)
        let test = try recipe.test.map(dataFile)
        let stageNames = [
            recipe.zeroShot.map { _ in "zero_shot" }, recipe.fineTune.map { _ in "finetune" },
            recipe.ppo.map { _ in "ppo" }, test.flatMap { _ in recipe.evaluate.map { _ in "evaluate" } },
        ].compactMap { $0 }

        // A stage that ran again changes what the stages after it read (the adapters), so they rerun
        // too, starting over rather than resuming; `restart` starts every stage over.
        var upstreamRan = restart
        func stage<S: Encodable>(
            _ name: String, _ settings: S, inputs: [(role: String, url: URL)], feedsLaterStages: Bool = true,
            _ body: (URL) throws -> Void
        ) throws {
            let folder = recipe.output.appendingPathComponent(name)
            let marker = try encoded(Marker(stage: name, settings: settings, model: recipe.model, seed: recipe.seed))
            let current = try StageInputs(reading: inputs)
            var startFresh = upstreamRan
            if !upstreamRan, finished(folder, marker) {
                let recorded = StageInputs.recorded(in: folder)
                guard let recorded, let changed = current.firstChange(since: recorded) else {
                    // A stage finished by a release that kept no record starts being watched now.
                    if recorded == nil, world.isRoot { try current.write(to: folder) }
                    log("== \(name): finished earlier with the same settings and inputs, skipped")
                    reports.append(StageReport(name: name, skipped: true, folder: folder))
                    return
                }
                let rerun = feedsLaterStages ? Array(stageNames.drop { $0 != name }) : [name]
                log(
                    "\(changed.role) \(changed.path) changed since stage \(name) ran; rerunning "
                        + rerun.joined(separator: ", "))
                startFresh = true
            }
            log("== \(name)")
            if startFresh, world.isRoot { try? FileManager.default.removeItem(at: folder) }
            try world.barrier()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try body(folder)
            if world.isRoot {
                try current.write(to: folder)
                try AtomicFileWriter.write([UInt8](marker), to: folder.appendingPathComponent("stage.json"))
            }
            if feedsLaterStages { upstreamRan = true }
            reports.append(StageReport(name: name, skipped: false, folder: folder))
        }

        if let z = recipe.zeroShot {
            let data = test ?? validation ?? train
            try stage("zero_shot", z, inputs: [("model", model), ("data", data)], feedsLaterStages: false) { folder in
                var options = SummarizeStage.Options(model: model, dataFile: data, settings: z.settings)
                options.outputFile = folder.appendingPathComponent("summaries.jsonl")
                _ = try SummarizeStage.run(options) { log("  " + $0) }
            }
        }
        var sftAdapter: URL?
        if let f = recipe.fineTune {
            let folder = recipe.output.appendingPathComponent("finetune")
            var inputs: [(role: String, url: URL)] = [("model", model), ("training data", train)]
            if let validation { inputs.append(("validation data", validation)) }
            try stage("finetune", f, inputs: inputs) { folder in
                var options = FineTuneStage.Options(
                    model: model, trainFile: train, outputFolder: folder, settings: f.settings)
                options.validationFile = validation
                options.resume = !restart
                _ = try FineTuneStage.run(options) { log("  " + $0) }
            }
            sftAdapter = folder.appendingPathComponent("adapter")
        }
        if let p = recipe.ppo {
            let rewardModel = try locate(p.rewardModel)
            let inputs: [(role: String, url: URL)] = [
                ("model", model), ("reward model", rewardModel), ("training data", train),
            ]
            try stage("ppo", p, inputs: inputs) { folder in
                var options = PPOStage.Options(
                    model: model, rewardModel: rewardModel, dataFile: train, outputFolder: folder, settings: p.settings)
                options.baseAdapters = sftAdapter.map { [$0] } ?? []
                options.resume = !restart
                _ = try PPOStage.run(options) { log("  " + $0) }
            }
        }
        if let e = recipe.evaluate, let test {
            let toxicityModel = try locate(e.toxicityModel)
            let rewardModel = try e.rewardModel.map(locate)
            var inputs: [(role: String, url: URL)] = [
                ("model", model), ("toxicity model", toxicityModel), ("test data", test),
            ]
            if let rewardModel { inputs.append(("reward model", rewardModel)) }
            try stage("evaluate", e, inputs: inputs) { folder in
                let ppoFolder = recipe.output.appendingPathComponent("ppo")
                var options = EvaluateStage.Options(
                    model: model, after: ppoFolder, toxicityModel: toxicityModel, dataFile: test,
                    outputFolder: folder, settings: e.settings)
                options.beforeAdapters = sftAdapter.map { [$0] } ?? []
                options.rewardModel = rewardModel
                options.trainingLog = ppoFolder.appendingPathComponent("ppo_log.jsonl")
                let result = try EvaluateStage.run(options) { log("  " + $0) }
                log(HTMLReport.terminalSummary(result.report.summary))
            }
        }
        return reports
    }
}
