/// Errors from the pipeline stages and the demo.
public enum DetoxError: Error, Equatable, CustomStringConvertible {
    /// A model, dataset or adapter argument names nothing usable.
    case notFound(argument: String, reason: String)
    /// A setting is out of range or inconsistent.
    case invalidSetting(name: String, reason: String)
    /// A stage's output could not be written.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let argument, let reason): return "\(argument): \(reason)"
        case .invalidSetting(let name, let reason): return "\(name): \(reason)"
        case .io(let path, let reason): return "\(path): \(reason)"
        }
    }
}
