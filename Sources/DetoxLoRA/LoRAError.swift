/// Errors from applying, loading and saving LoRA adapters.
public enum LoRAError: Error, Equatable, CustomStringConvertible {
    /// `adapter_config.json` is missing a field, has a wrong type or an unsupported value.
    case invalidConfiguration(file: String, key: String, reason: String)
    /// An adapter setting is out of range (``LoRAConfiguration/invalidSetting``).
    case invalidSetting(name: String, reason: String)
    /// No layer of the model matches the configured target modules; `available` lists the names
    /// its linear layers do have (the last component of each path, once each).
    case noTargetModules(targets: [String], available: [String])
    /// The adapter file lacks a tensor the configured adapter needs.
    case missingTensor(file: String, key: String)
    /// The adapter file has tensors that match no adapter layer.
    case unexpectedTensors(file: String, keys: [String])
    /// An adapter tensor has the wrong shape.
    case shapeMismatch(file: String, key: String, expected: [Int], actual: [Int])
    /// A layer cannot be merged (its base does not expose a dense weight).
    case notMergeable(path: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let file, let key, let reason): return "\(file): \(key): \(reason)"
        case .invalidSetting(let name, let reason): return "LoRA \(name): \(reason)"
        case .noTargetModules(let targets, let available):
            return
                "no layer of the model matches target_modules \(targets.joined(separator: ", ")); its linear layers are named \(available.joined(separator: ", "))"
        case .missingTensor(let file, let key): return "\(file): missing adapter tensor \(key)"
        case .unexpectedTensors(let file, let keys):
            return "\(file): tensors that match no adapter layer: \(keys.joined(separator: ", "))"
        case .shapeMismatch(let file, let key, let expected, let actual):
            return "\(file): \(key) has shape \(actual), expected \(expected)"
        case .notMergeable(let path): return "the layer at \(path) cannot be merged: its base has no dense weight"
        }
    }
}
