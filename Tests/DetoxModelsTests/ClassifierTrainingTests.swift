import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTestSupport
import Foundation
import Testing

/// The forward pass as fine-tuning will use it: dropout in training mode, gradients to every
/// weight, random initialization, and input checks.
@Suite("Classifier training and inputs")
struct ClassifierTrainingTests {
    func load(_ name: String) throws -> any SequenceClassifier {
        try SequenceClassifierModel.load(folder: try ClassifierFixtures.folder(name))
    }

    @Test("training mode applies dropout; evaluation mode is deterministic")
    func dropoutModes() throws {
        let model = try load("electra")
        let batch = try ClassifierFixtures.expected("electra").batch()
        let a = try model.classify(batch).logits.values
        #expect(try model.classify(batch).logits.values == a)
        model.setTraining(true)
        let b = try model.classify(batch).logits.values
        let c = try model.classify(batch).logits.values
        #expect(try TestSupport.maxAbsDifference(a, b) > 1e-4)
        #expect(try TestSupport.maxAbsDifference(b, c) > 1e-4)
        model.setTraining(false)
        #expect(try model.classify(batch).logits.values == a)
    }

    @Test("cross-entropy gradients reach every parameter", arguments: ["electra", "roberta", "bert"])
    func gradientsReachEveryParameter(name: String) throws {
        let model = try load(name)
        let batch = try ClassifierFixtures.expected(name).batch()
        let loss = try Losses.crossEntropy(
            try model.logits(batch), targets: Array(repeating: 1, count: batch.batchSize))
        let grads = try loss.backward()
        for (key, parameter) in model.parameters() {
            let gradient = try #require(grads[parameter.tensor], "no gradient for \(key)")
            #expect(gradient.shape == parameter.shape)
            // Token type 1 is unused by rows without a second segment, so only the used rows must be non-zero.
            if !key.contains("token_type_embeddings") && !key.contains("word_embeddings")
                && !key.contains("position_embeddings")
            {
                #expect(gradient.values.contains { $0 != 0 }, "zero gradient for \(key)")
            }
        }
    }

    @Test("the gradient of a LayerNorm bias matches central differences (ELECTRA, eval mode)")
    func finiteDifferences() throws {
        let model = try load("electra")
        let batch = try ClassifierFixtures.expected("electra").batch()
        let targets = [1, 0, 1]
        let parameter = try #require(
            model.parameters().first { $0.name == "electra.embeddings.LayerNorm.bias" }?.parameter)
        let loss = try Losses.crossEntropy(try model.logits(batch), targets: targets)
        let analytic = try #require(try loss.backward()[parameter.tensor]).values
        let original = parameter.tensor.values
        let epsilon: Float = 1e-2
        var numeric: [Float] = []
        for i in 0..<original.count {
            func lossAt(_ delta: Float) throws -> Double {
                var values = original
                values[i] += delta
                parameter.assign(Tensor(values, shape: parameter.shape))
                return Double(
                    try Tensor.withNoGrad { try Losses.crossEntropy(try model.logits(batch), targets: targets) }.item)
            }
            numeric.append(Float((try lossAt(epsilon) - lossAt(-epsilon)) / Double(2 * epsilon)))
        }
        parameter.assign(Tensor(original, shape: parameter.shape))
        // f32 central differences with step 1e-2: rtol 2e-2, atol 2e-3.
        #expect(TestSupport.closeness(analytic, numeric, rtol: 2e-2, atol: 2e-3) == nil)
    }

    @Test("random initialization follows _init_weights and is reproducible from the seed")
    func randomInitialization() throws {
        let configuration = try BertConfiguration(
            jsonData: Data(
                #"""
                {"model_type": "roberta", "vocab_size": 50, "hidden_size": 32, "num_hidden_layers": 1,
                 "num_attention_heads": 4, "intermediate_size": 40, "max_position_embeddings": 20,
                 "type_vocab_size": 1, "initializer_range": 0.5, "id2label": {"0": "nothate", "1": "hate"}}
                """#.utf8))
        var g1 = SeededGenerator(seed: 7)
        var g2 = SeededGenerator(seed: 7)
        let a = try SequenceClassifierModel.make(configuration: configuration, generator: &g1)
        let b = try SequenceClassifierModel.make(configuration: configuration, generator: &g2)
        #expect(a is RobertaForSequenceClassification)
        let sa = a.stateDict()
        let sb = b.stateDict()
        #expect(Set(sa.keys) == Set(sb.keys))
        for (key, value) in sa { #expect(sb[key]?.values == value.values, "\(key)") }
        #expect(g1 == g2 && g1 != SeededGenerator(seed: 7))
        let words = try #require(sa["roberta.embeddings.word_embeddings.weight"])
        #expect(words.values[32..<64].allSatisfy { $0 == 0 }) // padding row (pad_token_id 1)
        let dense = try #require(sa["classifier.dense.weight"]).values
        let std = (dense.map { $0 * $0 }.reduce(0, +) / Float(dense.count)).squareRoot()
        #expect(abs(std - 0.5) < 0.05)
        #expect(try #require(sa["classifier.dense.bias"]).values.allSatisfy { $0 == 0 })
        #expect(try #require(sa["roberta.encoder.layer.0.output.LayerNorm.weight"]).values.allSatisfy { $0 == 1 })
        let probabilities = try a.probabilities(
            try ClassifierBatch(padding: [[0, 5, 2], [0, 2]], padTokenID: 1), labelName: "hate")
        #expect(probabilities.count == 2 && probabilities.allSatisfy { $0 > 0 && $0 < 1 })
    }

    @Test("ClassifierBatch(padding:) right-pads with the pad id and mask 0")
    func paddingHelper() throws {
        let batch = try ClassifierBatch(
            padding: [[0, 5, 6, 2], [0, 7, 2]], padTokenID: 1, tokenTypeIDs: [[0, 0, 1, 1], [0, 0, 0]])
        #expect(batch.inputIDs == [[0, 5, 6, 2], [0, 7, 2, 1]])
        #expect(batch.attentionMask == [[1, 1, 1, 1], [1, 1, 1, 0]])
        #expect(batch.tokenTypeIDs == [[0, 0, 1, 1], [0, 0, 0, 0]])
        #expect(try batch.unpaddedRow(1).inputIDs == [[0, 7, 2]])
    }

    @Test("bad inputs are typed errors, never crashes")
    func badInputs() throws {
        #expect(throws: ModelError.self) { try ClassifierBatch(inputIDs: [[1, 2, 3], [1, 2]]) }
        #expect(throws: ModelError.self) { try ClassifierBatch(inputIDs: []) }
        #expect(throws: ModelError.self) { try ClassifierBatch(inputIDs: [[]]) }
        #expect(throws: ModelError.self) { try ClassifierBatch(inputIDs: [[1, 2]], attentionMask: [[1]]) }
        #expect(throws: ModelError.self) { try ClassifierBatch(inputIDs: [[1, 2]], attentionMask: [[1, 2]]) }
        #expect(throws: ModelError.self) { try ClassifierBatch(inputIDs: [[1, 2]], tokenTypeIDs: [[0, 0], [0, 0]]) }
        let model = try load("bert") // vocab 89, 20 positions, 2 types
        #expect(throws: ModelError.self) { try model.classify(try ClassifierBatch(inputIDs: [[2, 89, 3]])) }
        #expect(throws: ModelError.self) { try model.classify(try ClassifierBatch(inputIDs: [[2, -1, 3]])) }
        #expect(throws: ModelError.self) {
            try model.classify(try ClassifierBatch(inputIDs: [[2, 5, 3]], tokenTypeIDs: [[0, 2, 0]]))
        }
        #expect(throws: ModelError.self) {
            try model.classify(try ClassifierBatch(inputIDs: [Array(repeating: 5, count: 21)]))
        }
        #expect(
            try model.classify(try ClassifierBatch(inputIDs: [Array(repeating: 5, count: 20)])).logits.shape == [1, 3])
        let roberta = try load("roberta") // 14 positions, pad 1: at most 12 real tokens
        #expect(throws: ModelError.self) {
            try roberta.classify(try ClassifierBatch(inputIDs: [Array(repeating: 5, count: 13)]))
        }
        #expect(
            try roberta.classify(try ClassifierBatch(inputIDs: [Array(repeating: 5, count: 12) + [1, 1]])).logits.shape
                == [1, 2])
    }
}
