import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTestSupport
import Foundation
import Testing

/// Logits of the three families against transformers 4.46.3 on padded batches.
@Suite("Classifier parity with transformers")
struct ClassifierParityTests {
    /// Max abs difference allowed between our logits and transformers' (the bar).
    static let logitTolerance: Float = 1e-4
    /// Max abs difference between a padded row's logits and the same row run alone.
    static let paddingTolerance: Float = 1e-5
    /// Max abs difference between softmax probabilities.
    static let probabilityTolerance: Float = 1e-5

    @Test("logits match transformers (max abs diff ≤ 1e-4)", arguments: ["electra", "roberta", "bert"])
    func logitsMatch(name: String) throws {
        let expected = try ClassifierFixtures.expected(name)
        let model = try SequenceClassifierModel.load(folder: try ClassifierFixtures.folder(name))
        let output = try model.classify(try expected.batch())
        #expect(output.logits.shape == [expected.logits.count, expected.logits[0].count])
        let difference = try TestSupport.maxAbsDifference(output.logits.values, expected.logits.flatMap { $0 })
        #expect(difference <= Self.logitTolerance, "\(name): max abs diff \(difference)")
        // The fixture really has padding, so the mask and (for RoBERTa) the positions are exercised.
        #expect(expected.attentionMask.contains { $0.contains(0) })
    }

    @Test("a padded row's logits equal the row run alone (mask honoured)", arguments: ["electra", "roberta", "bert"])
    func paddingIsMasked(name: String) throws {
        let expected = try ClassifierFixtures.expected(name)
        let model = try SequenceClassifierModel.load(folder: try ClassifierFixtures.folder(name))
        let batch = try expected.batch()
        let padded = try model.classify(batch).logits.values
        let width = model.numLabels
        for row in 0..<batch.batchSize {
            let alone = try model.classify(try batch.unpaddedRow(row)).logits.values
            let ours = Array(padded[(row * width)..<((row + 1) * width)])
            let difference = try TestSupport.maxAbsDifference(ours, alone)
            #expect(difference <= Self.paddingTolerance, "\(name) row \(row): \(difference)")
            // And both agree with transformers' own unpadded run.
            #expect(try TestSupport.maxAbsDifference(alone, expected.unpaddedLogits[row]) <= Self.logitTolerance)
        }
    }

    @Test("probabilities by label name match transformers' softmax", arguments: ["electra", "roberta", "bert"])
    func probabilitiesByLabel(name: String) throws {
        let expected = try ClassifierFixtures.expected(name)
        let model = try SequenceClassifierModel.load(folder: try ClassifierFixtures.folder(name))
        let batch = try expected.batch()
        #expect(model.labels == (0..<expected.id2label.count).map { expected.id2label[String($0)] ?? "" })
        let byRow = try model.probabilities(batch)
        try #require(!model.labels.isEmpty, "the fixture model has no labels")
        for (id, label) in model.labels.enumerated() {
            let column = try model.probabilities(batch, labelName: label)
            let reference = expected.probabilities.map { $0[id] }
            #expect(
                try TestSupport.maxAbsDifference(column, reference) <= Self.probabilityTolerance, "\(name) \(label)")
            #expect(byRow.map { $0[label] ?? -1 } == column)
        }
        for row in byRow { #expect(abs(row.values.reduce(0, +) - 1) <= 1e-6) }
        let argmax = expected.logits.map { row in row.indices.max { row[$0] < row[$1] } ?? -1 }
        #expect(try model.classify(batch).predictedLabels == argmax.map { model.labels[$0] })
    }

    @Test("evaluate-style toxicity: an unknown label name is an error")
    func unknownLabelThrows() throws {
        let expected = try ClassifierFixtures.expected("electra")
        let model = try SequenceClassifierModel.load(folder: try ClassifierFixtures.folder("electra"))
        #expect(model.labels == ["not offensive", "offensive"])
        #expect(throws: ModelError.self) { try model.probabilities(try expected.batch(), labelName: "hate") }
        #expect(try model.probabilities(try expected.batch(), labelName: "offensive").count == 3)
    }

    @Test("ELECTRA projects 16-wide embeddings to the 32-wide hidden size")
    func electraProjection() throws {
        let model = try #require(
            try SequenceClassifierModel.load(folder: try ClassifierFixtures.folder("electra"))
                as? ElectraForSequenceClassification)
        let names = Dictionary(uniqueKeysWithValues: model.parameters().map { ($0.name, $0.parameter.shape) })
        #expect(names["electra.embeddings.word_embeddings.weight"] == [97, 16])
        #expect(names["electra.embeddings_project.weight"] == [32, 16])
        #expect(names["classifier.dense.weight"] == [32, 32])
        #expect(names["classifier.out_proj.weight"] == [2, 32])
        #expect(names.keys.contains { $0.contains("pooler") } == false)
    }

    @Test("RoBERTa numbers real tokens from padding_idx + 1 and gives padding padding_idx")
    func robertaPositions() throws {
        let model = try #require(
            try SequenceClassifierModel.load(folder: try ClassifierFixtures.folder("roberta"))
                as? RobertaForSequenceClassification)
        let batch = try ClassifierBatch(
            inputIDs: [[0, 44, 17, 2, 1, 1], [0, 38, 2, 1, 1, 1]],
            attentionMask: [[1, 1, 1, 1, 0, 0], [1, 1, 1, 0, 0, 0]])
        #expect(model.roberta.embeddings.positionIDs(batch) == [2, 3, 4, 5, 1, 1, 2, 3, 4, 1, 1, 1])
        // The positions matter: the same ids with BERT-style positions would give other logits.
        let expected = try ClassifierFixtures.expected("roberta")
        let logits = try model.classify(try expected.batch()).logits.values
        #expect(try TestSupport.maxAbsDifference(logits, expected.logits.flatMap { $0 }) <= Self.logitTolerance)
        #expect(model.parameters().contains { $0.name.contains("pooler") } == false)
    }

    @Test("BERT uses token type ids (zeroing them changes the logits)")
    func bertTokenTypes() throws {
        let expected = try ClassifierFixtures.expected("bert")
        #expect(expected.tokenTypeIDs?.contains { $0.contains(1) } == true)
        let model = try SequenceClassifierModel.load(folder: try ClassifierFixtures.folder("bert"))
        let withTypes = try model.classify(try expected.batch()).logits.values
        let without = try model.classify(
            try ClassifierBatch(inputIDs: expected.inputIDs, attentionMask: expected.attentionMask)
        ).logits.values
        #expect(try TestSupport.maxAbsDifference(withTypes, without) > 1e-3)
        let names = Set(model.parameters().map(\.name))
        #expect(
            names.isSuperset(of: [
                "bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias",
            ]))
    }

    @Test("parameter names are the checkpoint's keys verbatim", arguments: ["electra", "roberta", "bert"])
    func checkpointNamesVerbatim(name: String) throws {
        let folder = try ClassifierFixtures.folder(name)
        let model = try SequenceClassifierModel.load(folder: folder)
        let checkpoint = try ModelFolder(folder).weights().tensors
        #expect(Set(model.parameters().map(\.name)) == Set(checkpoint.keys))
        let state = model.stateDict()
        for (key, value) in checkpoint { #expect(state[key]?.values == value.values, "\(key)") }
    }
}
