import DetoxTestFiles
import Foundation
import Testing

@testable import DetoxPipeline

@Suite(.serialized) struct RecipeTests {
    static func write(_ text: String, in folder: URL, name: String = "recipe.yaml") throws -> URL {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    /// The shipped recipes parse (their models and data are Hub ids; nothing is downloaded here).
    @Test func shippedRecipesParse() throws {
        let recipes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("recipes")
        let small = try Recipe(contentsOf: recipes.appendingPathComponent("dialogsum-t5-small.yaml"))
        #expect(small.model == "google-t5/t5-small")
        #expect(
            small.fineTune?.quantization == .nf4 && small.fineTune?.rank == 32 && small.fineTune?.targets == ["q", "v"])
        #expect(
            small.ppo?.rewardModel == "DaNLP/da-electra-hatespeech-detection"
                && small.ppo?.rewardLabel == "not offensive")
        #expect(small.evaluate?.toxicityModel == "facebook/roberta-hate-speech-dynabench-r4-target")
        let flan = try Recipe(contentsOf: recipes.appendingPathComponent("dialogsum-flan-t5-base.yaml"))
        #expect(flan.model == "google/flan-t5-base" && flan.ppo?.ppoEpochs == 1 && flan.ppo?.lengths == [100, 400])
    }

    @Test func unknownKeysAndWrongTypesNameTheirKeyPath() throws {
        let folder = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: folder) }
        let base = "output: out\nmodel: m\ndataset: {train: t.csv, test: t.csv}\n"
        let cases: [(String, String, String)] = [
            (
                base + "stages:\n  ppo: {reward_model: r, steps: ten}\n", "stages.ppo.steps",
                "expected an integer, found \"ten\""
            ),
            (base + "stages:\n  finetune: {lora: {rnak: 4}}\n", "stages.finetune.lora.rnak", "unknown key"),
            (base + "stages:\n  evaluation: {}\n", "stages.evaluation", "unknown key"),
            (base + "seeds: 3\n", "seeds", "unknown key"),
            (
                base + "stages:\n  finetune: {quantize: int3}\n", "stages.finetune.quantize",
                "expected none, nf4 or fp4, found \"int3\""
            ),
            ("model: m\ndataset: {train: t.csv}\n", "output", "missing (the run folder)"),
            (base + "prompt: no placeholder\n", "prompt", "must contain {dialogue}"),
            (
                base + "stages:\n  finetune: {lora: {rank: 0}}\n", "stages.finetune.lora.rank",
                "expected a positive integer, found 0"
            ),
            (
                base + "stages:\n  ppo: {reward_model: r, lora: {alpha: -1}}\n", "stages.ppo.lora.alpha",
                "expected a positive number, found -1.0"
            ),
        ]
        for (text, keyPath, reason) in cases {
            let url = try Self.write(text, in: folder)
            #expect(throws: RecipeError.invalid(file: url.path, keyPath: keyPath, reason: reason)) {
                try Recipe(contentsOf: url)
            }
        }
    }

    /// `dataset.skip_bad_rows` reaches every stage's settings and is recorded only when set.
    @Test func skipBadRowsReachesEveryStage() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let stages = "stages: {zero_shot: {}, finetune: {}, ppo: {reward_model: r}, evaluate: {toxicity_model: t}}\n"
        let skipping = try Recipe(
            contentsOf: try Self.write(
                "output: o\nmodel: m\ndataset: {train: t.csv, test: t.csv, skip_bad_rows: true}\n" + stages,
                in: folder.url))
        #expect(skipping.zeroShot?.settings.malformedRows == .skip)
        #expect(skipping.fineTune?.settings.malformedRows == .skip)
        #expect(skipping.ppo?.settings.malformedRows == .skip)
        #expect(skipping.evaluate?.settings.malformedRows == .skip)
        let strict = try Recipe(
            contentsOf: try Self.write(
                "output: o\nmodel: m\ndataset: {train: t.csv, test: t.csv}\n" + stages, in: folder.url))
        #expect(strict.fineTune?.settings.malformedRows == .fail)
        let encoder = JSONEncoder()
        let skippingRecord = String(decoding: try encoder.encode(try #require(skipping.fineTune)), as: UTF8.self)
        let strictRecord = String(decoding: try encoder.encode(try #require(strict.fineTune)), as: UTF8.self)
        #expect(skippingRecord.contains("\"skipBadRows\":true"))
        #expect(!strictRecord.contains("skipBadRows"))
    }

    /// Files that would make the YAML composer recurse without bound are refused before parsing:
    /// deep flow nesting (also behind quotes and escapes that try to hide it) and oversized files.
    @Test func deepOrHugeRecipesAreRefusedBeforeParsing() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        let hidden =
            "a: \"\\\"\" \n" + "b: " + String(repeating: "{x: ", count: 3000) + "1"
            + String(repeating: "}", count: 3000)
        for text in [deep, "output: " + deep, hidden] {
            let url = try Self.write(text, in: folder.url)
            #expect(
                throws: RecipeError.unreadable(
                    file: url.path,
                    reason:
                        "brackets nest \(text.filter { $0 == "[" || $0 == "{" }.count) deep, more than a recipe's 64")
            ) {
                try Recipe(contentsOf: url)
            }
        }
        let hugeText = "output: out\n# " + String(repeating: "x", count: 300_000) + "\n"
        let huge = try Self.write(hugeText, in: folder.url)
        #expect(
            throws: RecipeError.unreadable(
                file: huge.path, reason: "\(hugeText.utf8.count) bytes, more than a recipe's 262144")
        ) {
            try Recipe(contentsOf: huge)
        }
        // Brackets inside quotes and comments do not count.
        #expect(Recipe.flowNestingDepth("a: '[[[['\nb: \"{{{\\\"{\" # [[[[\nc: [1, [2]]") == 2)
    }

    /// A whole recipe over tiny local models runs end to end; running it again skips every stage;
    /// raising the PPO step count reruns only PPO, which resumes from its checkpoint.
    @Test func recipeRunsSkipsAndResumes() throws {
        let folder = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: folder) }
        let world = try MiniWorld.build(at: folder.appendingPathComponent("world"))
        func recipe(ppoSteps: Int) -> String {
            """
            output: run
            seed: 5
            model: world/t5
            dataset: {train: world/train.csv, validation: world/train.csv, test: world/train.csv}
            stages:
              zero_shot: {limit: 2, max_new_tokens: 6}
              finetune: {quantize: nf4, lora: {rank: 2, alpha: 4, dropout: 0.0, targets: [q, v]}, steps: 2, batch_size: 2, max_source_length: 96, max_target_length: 16}
              ppo: {reward_model: world/electra, reward_label: not offensive, steps: \(ppoSteps), batch_size: 4, mini_batch_size: 2, ppo_epochs: 1, learning_rate: 1.0e-3, lengths: [3, 6], min_new_tokens: 1, lora: {rank: 2, alpha: 4}, checkpoint_every: 1, max_source_length: 96}
              evaluate: {toxicity_model: world/electra, toxic_label: offensive, count: 3, max_new_tokens: 6}
            """
        }
        _ = world
        let first = try Recipe(contentsOf: Self.write(recipe(ppoSteps: 2), in: folder))
        let local = ModelLocator()
        let dataFile = { (path: String) in URL(fileURLWithPath: path) }
        let reports = try RecipeRunner.run(first, locator: local, dataFile: dataFile)
        #expect(reports.map(\.name) == ["zero_shot", "finetune", "ppo", "evaluate"])
        #expect(reports.allSatisfy { !$0.skipped })
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("run/evaluate/report.html").path))

        let again = try RecipeRunner.run(first, locator: local, dataFile: dataFile)
        #expect(again.allSatisfy { $0.skipped })

        let longer = try Recipe(contentsOf: Self.write(recipe(ppoSteps: 3), in: folder))
        var lines: [String] = []
        let third = try RecipeRunner.run(longer, locator: local, dataFile: dataFile) { lines.append($0) }
        #expect(third.map(\.skipped) == [true, true, false, false])
        #expect(lines.contains { $0.contains("resuming PPO at step 2") })
        let log = try String(contentsOf: folder.appendingPathComponent("run/ppo/ppo_log.jsonl"), encoding: .utf8)
        #expect(log.split(separator: "\n").count == 3)
    }
}

extension RecipeTests {
    /// A finished stage whose input changed at the same path reruns, with every stage after it,
    /// and says why; an input touched but unchanged in content (or not touched) keeps it skipped.
    @Test func changedInputRerunsTheStageAndLaterOnes() throws {
        let folder = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: folder) }
        let world = try MiniWorld.build(at: folder.appendingPathComponent("world"))
        let text = """
            output: run
            seed: 5
            model: world/t5
            dataset: {train: world/train.csv, test: world/test.csv}
            stages:
              zero_shot: {limit: 1, max_new_tokens: 4}
              finetune: {lora: {rank: 2, alpha: 4, dropout: 0.0, targets: [q, v]}, steps: 1, batch_size: 2, max_source_length: 64, max_target_length: 8}
              ppo: {reward_model: world/electra, reward_label: not offensive, steps: 1, batch_size: 2, mini_batch_size: 2, ppo_epochs: 1, lengths: [2, 4], min_new_tokens: 1, lora: {rank: 2, alpha: 4}, max_source_length: 64}
            """
        let test = folder.appendingPathComponent("world/test.csv")
        try FileManager.default.copyItem(at: world.data, to: test)
        let recipe = try Recipe(contentsOf: Self.write(text, in: folder))
        let local = ModelLocator()
        let dataFile = { (path: String) in URL(fileURLWithPath: path) }
        func run() throws -> ([String], [String]) {
            var lines: [String] = []
            let reports = try RecipeRunner.run(recipe, locator: local, dataFile: dataFile) { lines.append($0) }
            return (reports.filter { !$0.skipped }.map(\.name), lines)
        }
        #expect(try run().0 == ["zero_shot", "finetune", "ppo"])
        #expect(
            FileManager.default.fileExists(atPath: folder.appendingPathComponent("run/finetune/inputs.json").path))

        // Touched, same bytes: the content hash says nothing changed.
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: world.data.path)
        #expect(try run().0.isEmpty)

        // The training data edited in place: finetune and ppo rerun, zero_shot (test data) does not.
        /// Changes one letter of the first row after the header.
        func edit(_ file: URL) throws {
            var bytes = [UInt8](try Data(contentsOf: file))
            let body = try #require(bytes.firstIndex(of: UInt8(ascii: "\n")))
            let letter = try #require(bytes[body...].firstIndex(of: UInt8(ascii: "e")))
            bytes[letter] = UInt8(ascii: "E")
            try Data(bytes).write(to: file)
        }
        try edit(world.data)
        let (ran, lines) = try run()
        #expect(ran == ["finetune", "ppo"])
        let reason = try #require(lines.first { $0.contains("changed since stage") })
        #expect(reason == "training data \(world.data.path) changed since stage finetune ran; rerunning finetune, ppo")
        #expect(!lines.contains { $0.contains("resuming") })

        // Unchanged since: everything is skipped again.
        #expect(try run().0.isEmpty)

        // The test data edited: only zero_shot reruns (it feeds no later stage).
        try edit(test)
        let (again, why) = try run()
        #expect(again == ["zero_shot"])
        #expect(why.contains("data \(test.path) changed since stage zero_shot ran; rerunning zero_shot"))
    }
}

extension RecipeTests {
    /// A model folder is known by each file in it (weights replaced in place are a change), a Hub
    /// snapshot folder by its commit alone, and a record that cannot be read counts as a change.
    @Test func stageInputsOfFoldersAndSnapshots() throws {
        let folder = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = folder.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: model.appendingPathComponent("config.json"))
        try Data([1, 2, 3, 4]).write(to: model.appendingPathComponent("model.safetensors"))
        let before = try StageInputs(reading: [("model", model)])
        #expect(before.inputs.first?.files?.map(\.path) == ["config.json", "model.safetensors"])
        #expect(try StageInputs(reading: [("model", model)]).firstChange(since: before) == nil)
        try Data([1, 2, 3, 5]).write(to: model.appendingPathComponent("model.safetensors"))
        #expect(try StageInputs(reading: [("model", model)]).firstChange(since: before)?.role == "model")

        let snapshot = folder.appendingPathComponent(
            "hub/models--org--tiny/snapshots/0123456789abcdef0123456789abcdef01234567")
        #expect(StageInputs.hubCommit(of: snapshot) == "0123456789abcdef0123456789abcdef01234567")
        #expect(StageInputs.hubCommit(of: model) == nil)
        let hub = try StageInputs(reading: [("model", snapshot)])
        #expect(hub.inputs.first?.files == nil)

        try Data("not json".utf8).write(to: folder.appendingPathComponent(StageInputs.fileName))
        let unreadable = try #require(StageInputs.recorded(in: folder))
        #expect(before.firstChange(since: unreadable)?.role == "model")
        #expect(StageInputs.recorded(in: model) == nil)
    }
}
