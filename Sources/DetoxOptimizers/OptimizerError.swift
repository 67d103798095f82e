// MARK: - Errors

/// Errors from building an optimizer, stepping it, or restoring a saved optimizer state.
public enum OptimizerError: Error, Equatable, CustomStringConvertible {
    /// Two entries of the parameter list share a name, or the same parameter appears twice.
    case duplicateParameter(name: String)
    /// A hyperparameter is outside its valid range (`lr < 0`, a beta outside `[0, 1)`, ...).
    case invalidHyperparameter(name: String, value: Double, reason: String)
    /// A gradient's shape differs from its parameter's.
    case gradientShapeMismatch(parameter: String, expected: [Int], actual: [Int])
    /// A saved state was written by a different optimizer (`"adam"` restored into `"adamw"`).
    case kindMismatch(expected: String, actual: String)
    /// A saved state uses a format version this code does not read.
    case unsupportedFormatVersion(Int)
    /// A saved state lacks a hyperparameter this optimizer needs.
    case missingHyperparameter(String)
    /// A saved state holds moments for a parameter this optimizer does not have.
    case unknownParameter(name: String)
    /// A saved state lists a parameter twice.
    case duplicateParameterState(name: String)
    /// A saved state records a parameter with different buffers than this optimizer keeps.
    case bufferMismatch(parameter: String, expected: [String], actual: [String])
    /// A saved state lacks the tensor of one buffer of a parameter.
    case missingBuffer(parameter: String, buffer: String, key: String)
    /// A saved parameter or buffer has a different shape than the parameter it belongs to.
    /// `buffer` is `nil` for the shape recorded for the parameter itself.
    case shapeMismatch(parameter: String, buffer: String?, expected: [Int], actual: [Int])
    /// A saved state holds a tensor that no parameter's buffer accounts for.
    case unexpectedTensor(key: String)
    /// A saved step count is negative.
    case invalidStepCount(parameter: String?, value: Int)
    /// A learning-rate schedule was given impossible step counts.
    case invalidSchedule(String)

    public var description: String {
        switch self {
        case .duplicateParameter(let name):
            return "parameter \"\(name)\" appears more than once in the optimizer's parameter list"
        case .invalidHyperparameter(let name, let value, let reason):
            return "invalid \(name) \(value): \(reason)"
        case .gradientShapeMismatch(let parameter, let expected, let actual):
            return "gradient of \"\(parameter)\" has shape \(actual), expected the parameter's shape \(expected)"
        case .kindMismatch(let expected, let actual):
            return "optimizer state was saved by \(actual), cannot restore it into \(expected)"
        case .unsupportedFormatVersion(let version):
            return "optimizer state format version \(version) is not supported"
        case .missingHyperparameter(let name):
            return "optimizer state has no hyperparameter \"\(name)\""
        case .unknownParameter(let name):
            return "optimizer state has moments for \"\(name)\", which this optimizer does not hold"
        case .duplicateParameterState(let name):
            return "optimizer state lists parameter \"\(name)\" more than once"
        case .bufferMismatch(let parameter, let expected, let actual):
            return "optimizer state of \"\(parameter)\" has buffers \(actual), expected \(expected)"
        case .missingBuffer(let parameter, let buffer, let key):
            return "optimizer state lacks \(buffer) of \"\(parameter)\" (tensor \"\(key)\")"
        case .shapeMismatch(let parameter, let buffer, let expected, let actual):
            let what = buffer.map { "\($0) of \"\(parameter)\"" } ?? "parameter \"\(parameter)\""
            return "optimizer state: \(what) has shape \(actual), expected \(expected)"
        case .unexpectedTensor(let key):
            return "optimizer state holds unexpected tensor \"\(key)\""
        case .invalidStepCount(let parameter, let value):
            let what = parameter.map { "step count of \"\($0)\"" } ?? "step count"
            return "optimizer state: \(what) is \(value), must be non-negative"
        case .invalidSchedule(let reason):
            return "invalid learning-rate schedule: \(reason)"
        }
    }
}
