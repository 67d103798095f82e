/// Errors from writing files.
public enum FileWriteError: Error, Equatable, CustomStringConvertible {
    /// The file at `file` could not be created, written, flushed or moved into place; `reason`
    /// says which and gives the system's message.
    case io(file: String, reason: String)

    public var description: String {
        switch self {
        case .io(let file, let reason): return "\(file): \(reason)"
        }
    }
}
