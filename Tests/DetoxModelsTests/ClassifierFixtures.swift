import DetoxModels
import Foundation
import Testing

/// Reads the classifier fixtures written by `Scripts/fixtures/make_classifier_fixtures.py`.
enum ClassifierFixtures {
    /// What transformers 4.46.3 computed for one fixture model (`expected.json`).
    struct Expected: Decodable {
        let modelType: String
        let inputIDs: [[Int]]
        let attentionMask: [[Int]]
        let tokenTypeIDs: [[Int]]?
        let id2label: [String: String]
        let logits: [[Float]]
        let unpaddedLogits: [[Float]]
        let probabilities: [[Float]]

        enum CodingKeys: String, CodingKey {
            case modelType = "model_type"
            case inputIDs = "input_ids"
            case attentionMask = "attention_mask"
            case tokenTypeIDs = "token_type_ids"
            case id2label
            case logits
            case unpaddedLogits = "unpadded_logits"
            case probabilities
        }

        func batch() throws -> ClassifierBatch {
            try ClassifierBatch(inputIDs: inputIDs, attentionMask: attentionMask, tokenTypeIDs: tokenTypeIDs)
        }
    }

    /// The folder of fixture model `name` (`electra`, `roberta`, `bert`).
    static func folder(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/classifiers"))
    }

    static func expected(_ name: String) throws -> Expected {
        let data = try Data(contentsOf: try folder(name).appendingPathComponent("expected.json"))
        return try JSONDecoder().decode(Expected.self, from: data)
    }

    /// Copies fixture `name`'s config.json into `folder` (optionally edited).
    static func copyConfig(_ name: String, to folder: URL, edit: (inout [String: Any]) -> Void = { _ in }) throws {
        let data = try Data(contentsOf: try self.folder(name).appendingPathComponent("config.json"))
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: folder.appendingPathComponent("config.json"))
    }
}
