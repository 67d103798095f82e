import Foundation

/// Loads a policy's language model from a Hugging Face model folder, choosing the family from
/// `config.json` — the one place that maps a folder to a family, so stages never name one.
public enum LanguageModelLoader {
    /// The `model_type` values a folder may name, with the family each loads as.
    public static let supportedModelTypes = ["t5"]

    /// The language model of `folder` (weights as `from_pretrained` reads them).
    ///
    /// The family comes from `model_type`; a `config.json` without one is read as T5, the only family
    /// whose configuration allowed that before.
    /// - Throws: ``ModelError/unsupportedModelType(file:modelType:supported:)`` naming the value found,
    ///   and the family's loading errors (missing files, keys, shapes).
    public static func load(folder: URL) throws -> any LanguageModel {
        switch try modelType(of: folder) {
        case "t5", nil: return try T5ForConditionalGeneration.load(folder: folder)
        case let other?:
            throw ModelError.unsupportedModelType(
                file: ModelFolder(folder).configURL.path, modelType: other, supported: supportedModelTypes)
        }
    }

    /// The model of `folder` with its value head: from the weights when they hold TRL's
    /// `v_head.summary.*` (a TRL checkpoint), else freshly initialised from `seed`.
    /// - Throws: as ``load(folder:)``.
    public static func loadPolicy(folder: URL, seed: UInt64 = 0) throws -> any PolicyLanguageModel {
        switch try modelType(of: folder) {
        case "t5", nil: return try T5WithValueHead.load(folder: folder, seed: seed)
        case let other?:
            throw ModelError.unsupportedModelType(
                file: ModelFolder(folder).configURL.path, modelType: other, supported: supportedModelTypes)
        }
    }

    /// `model_type` of the folder's `config.json`, or nil when it has none.
    static func modelType(of folder: URL) throws -> String? {
        let folder = ModelFolder(folder)
        let file = folder.configURL.path
        let data = try folder.configData()
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelError.invalidConfiguration(file: file, key: "", reason: "not a JSON object")
        }
        guard let value = object["model_type"] else { return nil }
        guard let modelType = value as? String else {
            throw ModelError.invalidConfiguration(file: file, key: "model_type", reason: "not a string")
        }
        return modelType
    }
}
