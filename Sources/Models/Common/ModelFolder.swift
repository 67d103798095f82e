import Checkpoints
import Foundation
import TensorCore

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
                file: configURL.path, key: "model_type", reason: object["model_type"] == nil ? "missing" : "not a string")
        }
        return (modelType, object["architectures"] as? [String])
    }

    /// Every floating-point weight by its checkpoint name, and the file(s) it came from (for errors).
    ///
    /// Reads `model.safetensors`, or the shards listed in `model.safetensors.index.json`.
    /// This is the one place a folder's weights are read; the general folder loader (sharded and
    /// `pytorch_model.bin`, in the Checkpoints target) replaces its body when it lands.
    ///
    /// - Throws: ``ModelError/missingFile(folder:name:)`` when there is no safetensors weight file;
    ///   `CheckpointError` for a malformed one.
    public func weights() throws -> (tensors: [String: Tensor], source: String) {
        let manager = FileManager.default
        let single = url.appendingPathComponent("model.safetensors")
        if manager.fileExists(atPath: single.path) {
            return (try SafeTensorsFile(url: single).tensors(), single.path)
        }
        let index = url.appendingPathComponent("model.safetensors.index.json")
        if let data = manager.contents(atPath: index.path) {
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                  let map = object["weight_map"] as? [String: String] else {
                throw ModelError.invalidConfiguration(file: index.path, key: "weight_map", reason: "missing or not an object of file names")
            }
            var tensors: [String: Tensor] = [:]
            for shard in Set(map.values).sorted() {
                let shardURL = url.appendingPathComponent(shard)
                guard manager.fileExists(atPath: shardURL.path) else {
                    throw ModelError.missingFile(folder: url.path, name: shard)
                }
                tensors.merge(try SafeTensorsFile(url: shardURL).tensors(), uniquingKeysWith: { a, _ in a })
            }
            return (tensors, index.path)
        }
        if manager.fileExists(atPath: url.appendingPathComponent("pytorch_model.bin").path) {
            throw ModelError.missingFile(
                folder: url.path, name: "model.safetensors (pytorch_model.bin is present but cannot be read by this build yet)")
        }
        throw ModelError.missingFile(folder: url.path, name: "model.safetensors")
    }
}
