import DetoxNN
import Foundation

/// Errors from loading and running models.
///
/// Every case names what was being read (a file, a folder, a key) and, where it applies, what was
/// expected against what was found.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    /// `config.json` names a `model_type` (or architecture) this build does not implement.
    case unsupportedModelType(file: String, modelType: String, supported: [String])
    /// A required file is absent from a model folder.
    case missingFile(folder: String, name: String)
    /// A configuration value is missing, of the wrong type or out of range.
    case invalidConfiguration(file: String, key: String, reason: String)
    /// A weight the model needs is absent from the checkpoint.
    case missingTensor(source: String, key: String)
    /// A weight has the wrong shape.
    case shapeMismatch(source: String, key: String, expected: [Int], actual: [Int])
    /// Inputs to a forward pass or generation are inconsistent (ids out of range, mismatched batch sizes, ...).
    case invalidInput(String)
    /// The model produced a NaN or infinite logit at generation step `step` (1-based): its
    /// weights or activations are not finite. `tokenID` is the first vocabulary entry affected.
    case nonFiniteLogits(step: Int, tokenID: Int, value: Float)

    public var description: String {
        switch self {
        case .unsupportedModelType(let file, let modelType, let supported):
            return
                "\(file): model_type \"\(modelType)\" is not supported (supported: \(supported.joined(separator: ", ")))"
        case .missingFile(let folder, let name):
            return "\(folder): missing \(name)"
        case .invalidConfiguration(let file, let key, let reason):
            return "\(file): \(key): \(reason)"
        case .missingTensor(let source, let key):
            return "\(source): missing tensor \(key)"
        case .shapeMismatch(let source, let key, let expected, let actual):
            return "\(source): tensor \(key) has shape \(actual), expected \(expected)"
        case .invalidInput(let reason):
            return "invalid input: \(reason)"
        case .nonFiniteLogits(let step, let tokenID, let value):
            return
                "generation step \(step): the model's logit for token \(tokenID) is \(value); its weights or "
                + "activations are not finite, so nothing it generates means anything"
        }
    }
}

extension Activation {
    /// The activation a `config.json` names at `key` (`activation_function`, `dense_act_fn`,
    /// `hidden_act`), or ``ModelError/invalidConfiguration(file:key:reason:)`` naming that key.
    static func configured(_ name: String, file: String, key: String) throws -> Activation {
        do {
            return try Activation(name: name)
        } catch {
            throw ModelError.invalidConfiguration(file: file, key: key, reason: "unknown activation \"\(name)\"")
        }
    }
}
