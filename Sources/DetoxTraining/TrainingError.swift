/// Errors from training: bad settings, inconsistent batches, numerical failure.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// A setting is out of range or inconsistent with another (`batch_size` not a multiple of
    /// `mini_batch_size × gradient_accumulation_steps`, ...).
    case invalidSetting(name: String, reason: String)
    /// Tensors given to one computation disagree in shape.
    case shapeMismatch(what: String, expected: [Int], actual: [Int])
    /// A mask has no active position where at least one (or two, for an unbiased variance) is needed.
    case emptyMask(what: String)
    /// A loss or statistic became NaN or infinite.
    case nonFinite(what: String, step: Int, value: Float)
    /// A checkpoint could not be written or read back.
    case checkpoint(path: String, reason: String)
    /// Ctrl-C stopped the run after this step's checkpoint was written.
    case interrupted(step: Int)
    /// Ctrl-C stopped a loop that keeps no checkpoint (`what`) after `step`; `saved` says what is
    /// on disk and how to go on.
    case stopped(what: String, step: Int, saved: String)

    public var description: String {
        switch self {
        case .invalidSetting(let name, let reason): return "\(name): \(reason)"
        case .shapeMismatch(let what, let expected, let actual):
            return "\(what): expected shape \(expected), got \(actual)"
        case .emptyMask(let what):
            return
                "\(what): the mask has too few active positions (try a larger mini_batch_size or gradient_accumulation_steps)"
        case .nonFinite(let what, let step, let value):
            return "\(what) is \(value) at step \(step); stopping (the last checkpoint is kept)"
        case .checkpoint(let path, let reason): return "\(path): \(reason)"
        case .interrupted(let step):
            return "interrupted after step \(step); the checkpoint is saved, run the same command to resume"
        case .stopped(let what, let step, let saved):
            return "interrupted \(what) after step \(step); \(saved)"
        }
    }
}
