import DetoxDatasets
import DetoxLoRA
import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTestFiles
import DetoxTraining
import Foundation
import Testing

struct SimulatedKill: Error {}

@Suite struct SupervisedTrainerTests {
    static func parameters(steps: Int) -> SupervisedTrainer.Parameters {
        var p = SupervisedTrainer.Parameters()
        p.learningRate = 1e-2
        p.maxSteps = steps
        p.batchSize = 4
        p.gradientAccumulation = 2
        p.warmupSteps = 2
        p.schedule = "linear"
        p.checkpointEvery = 5
        p.evaluateEvery = 5
        p.maxSourceLength = 48
        p.maxTargetLength = 16
        p.seed = 3
        return p
    }

    static let template = PromptTemplate("summarize: {dialogue}")

    static func trainer(steps: Int, folder: URL) throws -> SupervisedTrainer {
        let (model, lora) = try TinyWorld.adaptedModel()
        return try SupervisedTrainer(
            model: model, tokenizer: try TinyWorld.tokenizer(),
            train: DialogueDataset(records: TinyWorld.dialogues(count: 32)).examples(template: template),
            validation: DialogueDataset(records: TinyWorld.dialogues(count: 8, offset: 100)).examples(
                template: template),
            parameters: parameters(steps: steps),
            adapterConfiguration: lora, outputFolder: folder)
    }

    /// Thirty LoRA steps on the tiny dialogue set must cut the validation loss by at least 30%.
    @Test func fineTuningLowersValidationLoss() throws {
        let folder = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: folder) }
        let trainer = try Self.trainer(steps: 30, folder: folder)
        let before = try #require(try trainer.validationLoss())
        try trainer.run()
        let after = try #require(trainer.history.last?.evalLoss)
        #expect(after < before * 0.7, "validation loss \(before) → \(after)")
        // Only the adapters trained; the adapter folder is PEFT's format.
        #expect(trainer.model.trainableParameters().allSatisfy { $0.name.contains("lora_") })
        let adapter = folder.appendingPathComponent("adapter")
        #expect(
            FileManager.default.fileExists(atPath: adapter.appendingPathComponent("adapter_model.safetensors").path))
        let lines = try String(contentsOf: trainer.metricsFile, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 30)
    }

    /// A staging folder left by a save that was killed is removed by the next checkpoint write.
    @Test func staleCheckpointStagingIsRemoved() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let stale = folder.file(".checkpoint.tmp-1234")
        try FileManager.default.createDirectory(at: stale, withIntermediateDirectories: true)
        try Data("half written".utf8).write(to: stale.appendingPathComponent("optimizer.safetensors"))
        let unrelated = folder.file(".checkpoints-notes")
        try Data().write(to: unrelated)
        try Self.trainer(steps: 5, folder: folder.url).run()
        #expect(!FileManager.default.fileExists(atPath: stale.path))
        #expect(FileManager.default.fileExists(atPath: unrelated.path))
        #expect(FileManager.default.fileExists(atPath: folder.file("checkpoint/trainer_state.json").path))
    }

    /// Killing the run after the step-5 checkpoint and resuming reproduces the uninterrupted run's
    /// loss curve exactly (same bits), including the metrics file.
    @Test func resumeReproducesTheUninterruptedRun() throws {
        let straightFolder = try TemporaryFolder().url
        let resumedFolder = try TemporaryFolder().url
        defer {
            try? FileManager.default.removeItem(at: straightFolder)
            try? FileManager.default.removeItem(at: resumedFolder)
        }
        let straight = try Self.trainer(steps: 12, folder: straightFolder)
        try straight.run()

        let interrupted = try Self.trainer(steps: 12, folder: resumedFolder)
        #expect(throws: SimulatedKill.self) {
            try interrupted.run { record in if record.step == 7 { throw SimulatedKill() } }
        }
        let resumed = try Self.trainer(steps: 12, folder: resumedFolder)
        try resumed.run()
        #expect(resumed.history.map(\.loss) == straight.history.map(\.loss))
        #expect(resumed.history.map(\.evalLoss) == straight.history.map(\.evalLoss))
        #expect(
            try String(contentsOf: resumed.metricsFile, encoding: .utf8)
                == String(contentsOf: straight.metricsFile, encoding: .utf8))
        let a = LoRA.adapterTensors(of: straight.model)
        let b = LoRA.adapterTensors(of: resumed.model)
        #expect(a.keys.sorted() == b.keys.sorted())
        for key in a.keys { #expect(a[key]?.values == b[key]?.values, "\(key) differs") }
    }

    @Test func badSettingsAreTypedErrors() throws {
        var p = Self.parameters(steps: 1)
        p.schedule = "exponential"
        let (model, lora) = try TinyWorld.adaptedModel()
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        #expect(
            throws: TrainingError.invalidSetting(
                name: "schedule", reason: "expected linear, cosine or constant, got exponential")
        ) {
            try SupervisedTrainer(
                model: model, tokenizer: try TinyWorld.tokenizer(),
                train: DialogueDataset(records: TinyWorld.dialogues(count: 4)).examples(template: .summarize),
                validation: nil, parameters: p, adapterConfiguration: lora,
                outputFolder: folder.url)
        }
    }
}
