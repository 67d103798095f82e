import Foundation

/// Loads a policy's language model from a Hugging Face model folder, choosing the family from
/// `config.json` — the one place that maps a folder to a family, so stages never name one.
public enum LanguageModelLoader {
    /// The `model_type` values a folder may name.
    public static let supportedModelTypes = ["t5", "gpt2", "gpt_neo", "llama", "qwen2"]
    /// The `architectures` entries read as a family when `config.json` has no `model_type`.
    public static let architectureFamilies = [
        "T5ForConditionalGeneration": "t5", "T5WithLMHeadModel": "t5", "GPT2LMHeadModel": "gpt2",
        "GPTNeoForCausalLM": "gpt_neo", "LlamaForCausalLM": "llama", "Qwen2ForCausalLM": "qwen2",
    ]

    /// The language model of `folder` (weights as `from_pretrained` reads them).
    ///
    /// - Throws: ``ModelError/unsupportedModelType(file:modelType:supported:)`` naming the
    ///   `model_type` (or `architectures`) found, and the family's loading errors (missing files,
    ///   keys, shapes).
    public static func load(folder: URL) throws -> any LanguageModel {
        switch try family(of: folder) {
        case "t5": return try T5ForConditionalGeneration.load(folder: folder)
        case "gpt2": return try GPT2LMHeadModel.load(folder: folder)
        case "gpt_neo": return try GPTNeoForCausalLM.load(folder: folder)
        case let family where family == "llama" || family == "qwen2":
            return try LlamaForCausalLM.load(folder: folder, family: family)
        case let other: throw unsupported(other, in: folder)
        }
    }

    /// The model of `folder` with its value head: from the weights when they hold TRL's
    /// `v_head.summary.*` (a TRL checkpoint), else freshly initialised from `seed`.
    /// - Throws: as ``load(folder:)``.
    public static func loadPolicy(folder: URL, seed: UInt64 = 0) throws -> any PolicyLanguageModel {
        switch try family(of: folder) {
        case "t5": return try T5WithValueHead.load(folder: folder, seed: seed)
        case "gpt2": return try GPT2LMHeadModel.loadPolicy(folder: folder, seed: seed)
        case "gpt_neo": return try GPTNeoForCausalLM.loadPolicy(folder: folder, seed: seed)
        case let family where family == "llama" || family == "qwen2":
            return try LlamaForCausalLM.loadPolicy(folder: folder, family: family, seed: seed)
        case let other: throw unsupported(other, in: folder)
        }
    }

    static func unsupported(_ modelType: String, in folder: URL) -> ModelError {
        .unsupportedModelType(
            file: ModelFolder(folder).configURL.path, modelType: modelType, supported: supportedModelTypes)
    }

    /// The family (a supported `model_type`) of the folder: its `model_type`, else the family of a
    /// known entry of `architectures`, else T5 (whose configuration never required either).
    static func family(of folder: URL) throws -> String {
        let folder = ModelFolder(folder)
        let file = folder.configURL.path
        let data = try folder.configData()
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelError.invalidConfiguration(file: file, key: "", reason: "not a JSON object")
        }
        if let value = object["model_type"] {
            guard let modelType = value as? String else {
                throw ModelError.invalidConfiguration(file: file, key: "model_type", reason: "not a string")
            }
            guard supportedModelTypes.contains(modelType) else {
                throw ModelError.unsupportedModelType(file: file, modelType: modelType, supported: supportedModelTypes)
            }
            return modelType
        }
        if let architectures = object["architectures"] as? [String], !architectures.isEmpty {
            guard let family = architectures.lazy.compactMap({ architectureFamilies[$0] }).first else {
                throw ModelError.unsupportedModelType(
                    file: file, modelType: architectures.joined(separator: ", "),
                    supported: architectureFamilies.keys.sorted())
            }
            return family
        }
        return "t5"
    }
}
