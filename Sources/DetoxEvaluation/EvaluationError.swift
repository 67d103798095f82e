/// Errors from evaluation and reporting.
public enum EvaluationError: Error, Equatable, CustomStringConvertible {
    /// A setting is out of range (a threshold, a sample count, a label name that the model lacks...).
    case invalidSetting(name: String, reason: String)
    /// Inputs that must line up do not (before and after lists of different lengths...).
    case mismatchedInputs(what: String, expected: Int, actual: Int)
    /// A report or table could not be written.
    case io(path: String, reason: String)
    /// A training log line could not be read.
    case malformedLog(file: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .invalidSetting(let name, let reason): return "\(name): \(reason)"
        case .mismatchedInputs(let what, let expected, let actual):
            return "\(what): expected \(expected), got \(actual)"
        case .io(let path, let reason): return "\(path): \(reason)"
        case .malformedLog(let file, let line, let reason): return "\(file):\(line): \(reason)"
        }
    }
}
