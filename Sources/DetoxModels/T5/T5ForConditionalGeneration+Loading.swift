import DetoxTensor
import Foundation

extension T5ForConditionalGeneration {
    /// Loads a Hugging Face T5 model folder (`config.json` and the weights, read by
    /// ``ModelFolder/weights()`` in transformers' order of preference).
    ///
    /// - Throws: ``ModelError/missingFile(folder:name:)``,
    ///   ``ModelError/unsupportedModelType(file:modelType:supported:)``,
    ///   ``ModelError/invalidConfiguration(file:key:reason:)``, ``ModelError/missingTensor(source:key:)``
    ///   or ``ModelError/shapeMismatch(source:key:expected:actual:)``, each naming the file and key.
    public static func load(folder: URL) throws -> T5ForConditionalGeneration {
        let configuration = try T5Configuration.load(from: folder.appendingPathComponent("config.json"))
        let (tensors, source) = try ModelFolder(folder).weights()
        return try T5ForConditionalGeneration(configuration: configuration, tensors: tensors, source: source)
    }
}
