import DetoxCheckpoints
import DetoxFiles
import DetoxNN
import DetoxTensor
import Foundation

/// Writes a Hugging Face model folder: `config.json` and `model.safetensors`, each atomically, the
/// way `save_pretrained(safe_serialization=True)` lays it out, so transformers can load it.
public enum ModelFolderWriter {
    /// Writes `configuration` (encoded with its Hugging Face key names) and `tensors`.
    public static func write(configuration: some Encodable, tensors: [String: Tensor], to folder: URL) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.io(file: folder.path, reason: error.localizedDescription)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let config = try encoder.encode(configuration)
        try AtomicFileWriter.write([UInt8](config), to: folder.appendingPathComponent("config.json"))
        try SafeTensors.write(
            tensors, metadata: ["format": "pt"], to: folder.appendingPathComponent("model.safetensors"))
    }

    /// Writes a module's parameters under their checkpoint names.
    public static func write(configuration: some Encodable, module: any Module, to folder: URL) throws {
        try write(configuration: configuration, tensors: module.stateDict(), to: folder)
    }
}

extension SequenceClassifierModel {
    /// Saves a classifier made by ``load(folder:)`` or `make(configuration:...)` as a model folder.
    public static func save(_ classifier: any SequenceClassifier, to folder: URL) throws {
        let configuration: BertConfiguration
        switch classifier {
        case let model as BertForSequenceClassification: configuration = model.configuration
        case let model as ElectraForSequenceClassification: configuration = model.configuration
        case let model as RobertaForSequenceClassification: configuration = model.configuration
        default: throw ModelError.invalidInput("only BERT, ELECTRA and RoBERTa classifiers can be saved")
        }
        try ModelFolderWriter.write(configuration: configuration, module: classifier, to: folder)
    }
}
