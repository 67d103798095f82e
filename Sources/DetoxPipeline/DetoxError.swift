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

extension DetoxError {
    /// Refuses a negative count (a limit, a number of samples): taking a prefix of `-1` items has
    /// no meaning and would trap.
    static func requireNonNegative(_ value: Int?, _ name: String) throws {
        if let value, value < 0 {
            throw DetoxError.invalidSetting(name: name, reason: "must not be negative, got \(value)")
        }
    }
}
