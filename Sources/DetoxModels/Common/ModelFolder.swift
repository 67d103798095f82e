import DetoxCheckpoints
import DetoxTensor
import Foundation

/// A Hugging Face model folder on disk (`config.json` plus weights), as `from_pretrained` reads it.
public struct ModelFolder: Sendable {
    public let url: URL

    public init(_ url: URL) { self.url = url }

    /// `config.json` in the folder.
    public var configURL: URL { url.appendingPathComponent("config.json") }

    /// The bytes of `config.json`.
    ///
    /// - Throws: ``ModelError/missingFile(folder:name:)`` when it is absent or unreadable.
    public func configData() throws -> Data {
        guard let data = FileManager.default.contents(atPath: configURL.path) else {
            throw ModelError.missingFile(folder: url.path, name: "config.json")
        }
        return data
    }

    /// `model_type` and `architectures` of `config.json`, read without decoding the rest.
    ///
    /// - Throws: ``ModelError/invalidConfiguration(file:key:reason:)`` when the file is not a JSON
    ///   object or `model_type` is missing or not a string.
    public func modelType() throws -> (modelType: String, architectures: [String]?) {
        let data = try configData()
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelError.invalidConfiguration(file: configURL.path, key: "", reason: "not a JSON object")
        }
        guard let modelType = object["model_type"] as? String else {
            throw ModelError.invalidConfiguration(
                file: configURL.path, key: "model_type",
                reason: object["model_type"] == nil ? "missing" : "not a string")
        }
        return (modelType, object["architectures"] as? [String])
    }

    /// Every floating-point weight by its checkpoint name, and the file(s) it came from (for errors).
    ///
    /// Reads the folder's weights in transformers' order of preference (`model.safetensors`, its
    /// sharded index, `pytorch_model.bin`, its sharded index) through `ModelWeights`.
    ///
    /// - Throws: ``ModelError/missingFile(folder:name:)`` when there is no weights file;
    ///   `CheckpointError` for a malformed one.
    public func weights() throws -> (tensors: [String: Tensor], source: String) {
        let weights: ModelWeights
        do {
            weights = try ModelWeights(folder: url)
        } catch CheckpointError.missingWeights {
            throw ModelError.missingFile(folder: url.path, name: "model.safetensors")
        }
        return (try weights.tensors(), weights.source.path)
    }
}

extension ModelFolder {
    /// The longest input the model takes, in tokens — what a `truncation=True` pipeline cuts texts
    /// to: `model_max_length` of `tokenizer_config.json` when set, else `max_position_embeddings`
    /// of `config.json` (less RoBERTa's padding offset of 2), else 512.
    public var maxPositions: Int {
        func json(_ name: String) -> [String: Any]? {
            guard let data = FileManager.default.contents(atPath: url.appendingPathComponent(name).path) else {
                return nil
            }
            return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        }
        if let tokenizerConfig = json("tokenizer_config.json"),
            let length = tokenizerConfig["model_max_length"] as? Int, length < 1_000_000
        {
            return length
        }
        if let config = json("config.json"), let positions = config["max_position_embeddings"] as? Int {
            return (config["model_type"] as? String) == "roberta" ? positions - 2 : positions
        }
        return 512
    }
}
