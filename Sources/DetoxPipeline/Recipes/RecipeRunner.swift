import DetoxDistributed
import DetoxEvaluation
import DetoxFiles
import Foundation

/// Runs a ``Recipe``: each configured stage writes into its own folder of the run; a stage that
/// finished with the same settings is skipped (its `stage.json` says so), one that was interrupted
/// or whose settings changed runs again and resumes from its checkpoint, and every stage after a
/// stage that ran again runs again too.
///
/// Under `mpirun` every rank walks the recipe; the stages share their work (see each stage), rank 0
/// alone claims the run folder and writes `stage.json`, and PPO, not data-parallel yet, runs on
/// rank 0 while the other ranks wait.
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
        let model = try locator.folder(for: recipe.model)
        let train = try dataFile(recipe.train)
        let validation = try recipe.validation.map(dataFile)
        let test = try recipe.test.map(dataFile)

        // A stage that ran again changes what the stages after it read (the adapters), so they rerun too.
        var upstreamRan = restart
        func stage<S: Encodable>(
            _ name: String, _ settings: S, feedsLaterStages: Bool = true, _ body: (URL) throws -> Void
        ) throws {
            let folder = recipe.output.appendingPathComponent(name)
            let marker = try encoded(Marker(stage: name, settings: settings, model: recipe.model, seed: recipe.seed))
            if !upstreamRan, finished(folder, marker) {
                log("== \(name): finished earlier with the same settings, skipped")
                reports.append(StageReport(name: name, skipped: true, folder: folder))
                return
            }
            log("== \(name)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try body(folder)
            if world.isRoot {
                try AtomicFileWriter.write([UInt8](marker), to: folder.appendingPathComponent("stage.json"))
            }
            if feedsLaterStages { upstreamRan = true }
            reports.append(StageReport(name: name, skipped: false, folder: folder))
        }

        if let z = recipe.zeroShot {
            try stage("zero_shot", z, feedsLaterStages: false) { folder in
                var options = SummarizeStage.Options(
                    model: model, dataFile: test ?? validation ?? train, settings: z.settings)
                options.outputFile = folder.appendingPathComponent("summaries.jsonl")
                _ = try SummarizeStage.run(options) { log("  " + $0) }
            }
        }
        var sftAdapter: URL?
        if let f = recipe.fineTune {
            let folder = recipe.output.appendingPathComponent("finetune")
            try stage("finetune", f) { folder in
                var options = FineTuneStage.Options(
                    model: model, trainFile: train, outputFolder: folder, settings: f.settings)
                options.validationFile = validation
                options.resume = !restart
                _ = try FineTuneStage.run(options) { log("  " + $0) }
            }
            sftAdapter = folder.appendingPathComponent("adapter")
        }
        if let p = recipe.ppo {
            try stage("ppo", p) { folder in
                var options = PPOStage.Options(
                    model: model, rewardModel: try locator.folder(for: p.rewardModel), dataFile: train,
                    outputFolder: folder, settings: p.settings)
                options.baseAdapters = sftAdapter.map { [$0] } ?? []
                options.resume = !restart
                if world.isRoot { _ = try PPOStage.run(options) { log("  " + $0) } }
                try world.barrier()
            }
        }
        if let e = recipe.evaluate, let test {
            try stage("evaluate", e) { folder in
                let ppoFolder = recipe.output.appendingPathComponent("ppo")
                var options = EvaluateStage.Options(
                    model: model, after: ppoFolder, toxicityModel: try locator.folder(for: e.toxicityModel),
                    dataFile: test, outputFolder: folder, settings: e.settings)
                options.beforeAdapters = sftAdapter.map { [$0] } ?? []
                options.rewardModel = try e.rewardModel.map { try locator.folder(for: $0) }
                options.trainingLog = ppoFolder.appendingPathComponent("ppo_log.jsonl")
                let result = try EvaluateStage.run(options) { log("  " + $0) }
                log(HTMLReport.terminalSummary(result.report.summary))
            }
        }
        return reports
    }
}
