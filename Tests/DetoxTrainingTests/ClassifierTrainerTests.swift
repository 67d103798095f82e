import DetoxModels
import DetoxTensor
import DetoxTestFiles
import DetoxTraining
import Foundation
import Testing

@Suite struct ClassifierTrainerTests {
    static func examples(count: Int, offset: Int = 0) -> [LabeledText] {
        let insults = ["idiot", "stupid", "ugly"]
        return (0..<count).map { k in
            let i = k + offset
            let item = TinyWorld.items[i % TinyWorld.items.count]
            let name = TinyWorld.names[i % TinyWorld.names.count]
            if i % 2 == 0 {
                return LabeledText(text: "\(name) buys a \(item) for \(2 + i % 7) dollars .", label: "not offensive")
            }
            return LabeledText(text: "\(name) is a \(insults[i % insults.count]) \(item) .", label: "offensive")
        }
    }

    /// A tiny ELECTRA (embedding size ≠ hidden size) learns to tell insults from plain summaries:
    /// held-out accuracy ≥ 0.9 after 6 epochs, and the model folder it saves loads back with the
    /// same logits.
    @Test func tinyElectraLearnsAndSaves() throws {
        let json = """
            {"model_type": "electra", "vocab_size": 64, "embedding_size": 16, "hidden_size": 32, "num_hidden_layers": 2,
             "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 64, "pad_token_id": 0,
             "id2label": {"0": "not offensive", "1": "offensive"}, "label2id": {"not offensive": 0, "offensive": 1}}
            """
        let configuration = try BertConfiguration(jsonData: Data(json.utf8))
        var generator = SeededGenerator(seed: 4)
        let classifier = try SequenceClassifierModel.make(configuration: configuration, generator: &generator)
        let tokenizer = try TinyWorld.tokenizer(extraWords: ["is", "idiot", "stupid", "ugly"])
        var parameters = ClassifierTrainer.Parameters()
        parameters.learningRate = 3e-3
        parameters.epochs = 6
        parameters.batchSize = 8
        let trainer = try ClassifierTrainer(classifier: classifier, tokenizer: tokenizer, parameters: parameters)
        let losses = try trainer.train(Self.examples(count: 48))
        #expect(losses.last! < losses.first!)
        let accuracy = try trainer.accuracy(Self.examples(count: 24, offset: 100))
        #expect(accuracy >= 0.9, "held-out accuracy \(accuracy)")

        let folder = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: folder) }
        try SequenceClassifierModel.save(classifier, to: folder)
        let reloaded = try SequenceClassifierModel.load(folder: folder)
        let batch = try ClassifierBatch(inputIDs: [tokenizer.encode("anna is a stupid lamp .").ids])
        #expect(try reloaded.classify(batch).logits.values == classifier.classify(batch).logits.values)
        #expect(throws: TrainingError.self) { try trainer.train([LabeledText(text: "x", label: "nothate")]) }
    }
}
