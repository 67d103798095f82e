import DetoxCheckpoints
import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTestFiles
import DetoxTestSupport
import Foundation
import Testing

/// A bare `BertModel` folder (as sentence-transformers stores one) loads as a model and matches
/// transformers 4.46.3: hidden states, mean-pooled and normalized embeddings
/// (`Scripts/fixtures/make_encoder_fixtures.py`).
@Suite("Text encoder")
struct TextEncoderTests {
    /// What transformers computed for the fixture encoder (`expected.json`).
    struct Expected: Decodable {
        let inputIDs: [[Int]]
        let attentionMask: [[Int]]
        let tokenTypeIDs: [[Int]]
        let lastHiddenState: [[[Float]]]
        let meanPooled: [[Float]]
        let normalized: [[Float]]

        enum CodingKeys: String, CodingKey {
            case inputIDs = "input_ids"
            case attentionMask = "attention_mask"
            case tokenTypeIDs = "token_type_ids"
            case lastHiddenState = "last_hidden_state"
            case meanPooled = "mean_pooled"
            case normalized
        }

        func batch() throws -> ClassifierBatch {
            try ClassifierBatch(inputIDs: inputIDs, attentionMask: attentionMask, tokenTypeIDs: tokenTypeIDs)
        }
    }

    static let tolerance: Float = 1e-4

    static func folder() throws -> URL {
        try #require(Bundle.module.url(forResource: "bert", withExtension: nil, subdirectory: "Fixtures/encoders"))
    }

    static func expected() throws -> Expected {
        let data = try Data(contentsOf: try folder().appendingPathComponent("expected.json"))
        return try JSONDecoder().decode(Expected.self, from: data)
    }

    /// A temporary folder holding the fixture's config (edited) and `tensors`.
    static func copy(tensors: [String: Tensor], edit: (inout [String: Any]) -> Void = { _ in }) throws -> URL {
        let url = try TemporaryFolder().url
        let data = try Data(contentsOf: try folder().appendingPathComponent("config.json"))
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: url.appendingPathComponent("config.json"))
        try SafeTensors.write(tensors, metadata: ["format": "pt"], to: url.appendingPathComponent("model.safetensors"))
        return url
    }

    static func fixtureTensors() throws -> [String: Tensor] {
        try ModelFolder(try folder()).weights().tensors
    }

    @Test("last_hidden_state matches transformers' BertModel")
    func hiddenStates() throws {
        let expected = try Self.expected()
        let encoder = try TextEncoder.load(folder: try Self.folder())
        let hidden = try encoder.hiddenStates(try expected.batch())
        #expect(hidden.shape == [3, 6, 32])
        let reference = expected.lastHiddenState.flatMap { $0.flatMap { $0 } }
        #expect(!reference.isEmpty)
        #expect(TestSupport.closeness(hidden.values, reference, rtol: 0, atol: Self.tolerance) == nil)
    }

    @Test("mean-pooled and normalized embeddings match sentence-transformers' pooling")
    func embeddings() throws {
        let expected = try Self.expected()
        let encoder = try TextEncoder.load(folder: try Self.folder())
        let batch = try expected.batch()
        let pooled = try encoder.embeddings(batch)
        #expect(pooled.shape == [3, 32])
        #expect(
            TestSupport.closeness(pooled.values, expected.meanPooled.flatMap { $0 }, rtol: 0, atol: Self.tolerance)
                == nil)
        let normalized = try encoder.embeddings(batch, normalize: true)
        #expect(
            TestSupport.closeness(normalized.values, expected.normalized.flatMap { $0 }, rtol: 0, atol: Self.tolerance)
                == nil)
        // The padded row's mean covers its three real tokens only.
        #expect(expected.attentionMask[1] == [1, 1, 1, 0, 0, 0])
    }

    @Test("parameters keep the checkpoint's un-prefixed names, pooler included")
    func parameterNames() throws {
        let encoder = try TextEncoder.load(folder: try Self.folder())
        let names = Set(encoder.parameters().map(\.name))
        #expect(names == Set(try Self.fixtureTensors().keys))
        #expect(names.contains("embeddings.word_embeddings.weight"))
        #expect(names.contains("pooler.dense.weight"))
    }

    @Test(
        "a bert.-prefixed checkpoint (saved from a model with a head, head weights included) loads to the same encoder")
    func prefixedCheckpoint() throws {
        var tensors: [String: Tensor] = [:]
        for (key, value) in try Self.fixtureTensors() { tensors["bert.\(key)"] = value }
        tensors["bert.embeddings.position_ids"] = Tensor.arange(0, 16).reshaped([1, 16])
        // A head's weights sit beside the prefixed encoder; a bare model leaves them out.
        tensors["classifier.weight"] = Tensor.zeros([2, 32])
        tensors["cls.predictions.bias"] = Tensor.zeros([7])
        let url = try Self.copy(tensors: tensors)
        defer { try? FileManager.default.removeItem(at: url) }
        let expected = try Self.expected()
        let encoder = try TextEncoder.load(folder: url)
        let hidden = try encoder.hiddenStates(try expected.batch()).values
        let reference = expected.lastHiddenState.flatMap { $0.flatMap { $0 } }
        #expect(TestSupport.closeness(hidden, reference, rtol: 0, atol: Self.tolerance) == nil)
        #expect(encoder.parameters().allSatisfy { !$0.name.hasPrefix("bert.") })
    }

    @Test("an unsupported architecture is a typed error naming the architectures found")
    func unsupportedArchitecture() throws {
        let url = try Self.copy(tensors: try Self.fixtureTensors()) { $0["architectures"] = ["BertForMaskedLM"] }
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(
            throws: ModelError.unsupportedModelType(
                file: url.appendingPathComponent("config.json").path, modelType: "BertForMaskedLM",
                supported: ["BertModel", "ElectraModel", "RobertaModel"])
        ) {
            try TextEncoder.load(folder: url)
        }
    }

    @Test("a missing tensor names its key; an extra one is listed")
    func strictWeights() throws {
        var missing = try Self.fixtureTensors()
        #expect(missing.removeValue(forKey: "encoder.layer.1.output.dense.weight") != nil)
        let configuration = try BertConfiguration(
            contentsOf: try Self.folder().appendingPathComponent("config.json"))
        #expect(throws: ModelError.missingTensor(source: "weights", key: "encoder.layer.1.output.dense.weight")) {
            try TextEncoder.load(configuration: configuration, weights: missing, source: "weights")
        }
        var extra = try Self.fixtureTensors()
        extra["lm_head.weight"] = Tensor.zeros([2, 2])
        #expect(throws: NNError.stateMismatch(missing: [], unexpected: ["lm_head.weight"], shapeMismatches: [])) {
            try TextEncoder.load(configuration: configuration, weights: extra, source: "weights")
        }
    }

    @Test("the encoder's projections are swappable like any model's")
    func swappable() throws {
        let encoder = try TextEncoder.load(folder: try Self.folder())
        let paths = encoder.linearLayers().map(\.path)
        #expect(paths.contains("encoder.layer.0.attention.self.query"))
        #expect(paths.contains("pooler.dense"))
        let all = try encoder.replaceLinearLayers(where: { _ in true }, with: { _, layer in layer })
        #expect(all.count == paths.count)
    }
}
