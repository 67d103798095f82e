import DetoxDatasets
import DetoxTestFiles
import Foundation
import Testing

@testable import DetoxPipeline

/// The decoder-only recipes: they parse with the example's settings, and run, skip and resume with
/// `detox run` over tiny local models put in place of their Hub ids.
@Suite(.serialized) struct CausalRecipeTests {
    static let recipes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("recipes")

    @Test func shippedDecoderRecipesParse() throws {
        let smol = try Recipe(contentsOf: Self.recipes.appendingPathComponent("realtoxicity-smollm2-135m.yaml"))
        #expect(smol.model == "HuggingFaceTB/SmolLM2-135M")
        let ppo = try #require(smol.ppo)
        #expect(ppo.settings.prompts == .realToxicityPrompts && ppo.settings.policy == .lora)
        #expect(ppo.settings.adapter.rank == 16 && ppo.settings.adapter.targets.names == ["q_proj", "v_proj"])
        #expect(ppo.settings.quantization == .nf4 && ppo.settings.minNewTokens == 0)
        #expect(ppo.lengths == [20, 30] && ppo.settings.queryLengths?.range == 30..<40)
        #expect(ppo.rewardModel == "facebook/roberta-hate-speech-dynabench-r4-target" && ppo.rewardLabel == "nothate")
        let evaluate = try #require(smol.evaluate)
        #expect(evaluate.settings.prompts == .wikiToxic && evaluate.settings.count == 400)
        #expect(evaluate.settings.generation.doSample && evaluate.settings.generation.maxNewTokens == 30)

        let neo = try Recipe(contentsOf: Self.recipes.appendingPathComponent("realtoxicity-gpt-neo-125m.yaml"))
        let full = try #require(neo.ppo)
        #expect(neo.model == "EleutherAI/gpt-neo-125M" && full.settings.policy == .full)
        #expect(full.ppoEpochs == 100 && full.settings.ppo.learningRate == 2.94e-5)
        #expect(full.settings.ppo.batchSize == 16 && full.settings.ppo.miniBatchSize == 4)
        #expect(full.settings.numSharedLayers == 8)
    }

    /// The shipped recipe's text with each `key: value` line named in `values` given a new value.
    static func localCopy(of name: String, values: [String: String]) throws -> String {
        let text = try String(contentsOf: recipes.appendingPathComponent(name), encoding: .utf8)
        var replaced = Set<String>()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let trimmed = line.drop { $0 == " " }
            guard let colon = trimmed.firstIndex(of: ":"), !trimmed.hasPrefix("#") else { return String(line) }
            let key = String(trimmed[..<colon])
            guard let value = values[key] else { return String(line) }
            replaced.insert(key)
            return String(line.prefix(line.count - trimmed.count)) + key + ": " + value
        }
        #expect(replaced == Set(values.keys), "keys not in \(name): \(Set(values.keys).subtracting(replaced))")
        return lines.joined(separator: "\n")
    }

    static let tinyValues = [
        "output": "run", "model": "world/llama", "train": "world/prompts.jsonl", "test": "world/test.csv",
        "reward_model": "world/roberta", "toxicity_model": "world/electra", "steps": "2", "batch_size": "4",
        "mini_batch_size": "2", "ppo_epochs": "1", "checkpoint_every": "1", "count": "3", "max_new_tokens": "6",
    ]

    /// The SmolLM2 recipe (QLoRA on q_proj/v_proj) over a tiny Llama runs PPO and the evaluation,
    /// skips both when run again, and resumes PPO from its checkpoint when the steps go up.
    @Test func smolRecipeRunsSkipsAndResumes() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        _ = try CausalWorld.build(at: folder.file("world"))
        let local = ModelLocator()
        let dataFile = { (path: String) in URL(fileURLWithPath: path) }
        let first = try Recipe(
            contentsOf: RecipeTests.write(
                Self.localCopy(of: "realtoxicity-smollm2-135m.yaml", values: Self.tinyValues), in: folder.url))
        let reports = try RecipeRunner.run(first, locator: local, dataFile: dataFile)
        #expect(reports.map(\.name) == ["ppo", "evaluate"] && reports.allSatisfy { !$0.skipped })
        let comparison = try Data(contentsOf: folder.file("run/evaluate/comparison.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: comparison) as? [String: Any])
        let summary = try #require(json["summary"] as? [String: Any])
        let cost = try #require(summary["cost"] as? [String: Any])
        #expect((cost["perplexity_before"] as? Double).map { $0 > 1 } == true)
        #expect(summary["sample_count"] as? Int == 3)

        #expect(try RecipeRunner.run(first, locator: local, dataFile: dataFile).allSatisfy(\.skipped))

        var longerValues = Self.tinyValues
        longerValues["steps"] = "3"
        let longer = try Recipe(
            contentsOf: RecipeTests.write(
                Self.localCopy(of: "realtoxicity-smollm2-135m.yaml", values: longerValues), in: folder.url))
        var lines: [String] = []
        let third = try RecipeRunner.run(longer, locator: local, dataFile: dataFile) { lines.append($0) }
        #expect(third.map(\.skipped) == [false, false])
        #expect(lines.contains { $0.contains("resuming PPO at step 2") })
        let log = try String(contentsOf: folder.file("run/ppo/ppo_log.jsonl"), encoding: .utf8)
        #expect(log.split(separator: "\n").count == 3)
    }

    /// The GPT-Neo recipe (a full policy, the first blocks shared with the reference) runs over a
    /// tiny GPT-Neo-shaped stand-in, then resumes when its steps go up.
    @Test func gptNeoRecipeRunsAFullPolicyAndResumes() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        _ = try CausalWorld.build(at: folder.file("world"))
        var values = Self.tinyValues
        values["model"] = "world/gpt2"
        values["num_shared_layers"] = "1"
        let local = ModelLocator()
        let dataFile = { (path: String) in URL(fileURLWithPath: path) }
        let recipe = try Recipe(
            contentsOf: RecipeTests.write(
                Self.localCopy(of: "realtoxicity-gpt-neo-125m.yaml", values: values), in: folder.url))
        let reports = try RecipeRunner.run(recipe, locator: local, dataFile: dataFile)
        #expect(reports.map(\.name) == ["ppo", "evaluate"])
        #expect(FileManager.default.fileExists(atPath: folder.file("run/ppo/model/model.safetensors").path))
        values["steps"] = "3"
        let longer = try Recipe(
            contentsOf: RecipeTests.write(
                Self.localCopy(of: "realtoxicity-gpt-neo-125m.yaml", values: values), in: folder.url))
        var lines: [String] = []
        _ = try RecipeRunner.run(longer, locator: local, dataFile: dataFile) { lines.append($0) }
        #expect(lines.contains { $0.contains("resuming PPO at step 2") })
    }
}
