/// Errors from writing files.
public enum FileWriteError: Error, Equatable, CustomStringConvertible {
    /// The file at `file` could not be created, written, flushed or moved into place; `reason`
    /// says which and gives the system's message.
    case io(file: String, reason: String)
    /// Another run (process `holder`, when it could be read) is writing into `folder`.
    case busy(folder: String, holder: Int32?)

    public var description: String {
        switch self {
        case .io(let file, let reason): return "\(file): \(reason)"
        case .busy(let folder, let holder):
            return
                "\(folder): another run\(holder.map { " (process \($0))" } ?? "") is writing into this folder; wait for it or choose another output folder"
        }
    }
}
