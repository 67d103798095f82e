import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A fault drill: `DETOX_KILL_RANK_AFTER_STEP=R:S` in the environment makes rank `R` kill itself
/// with `SIGKILL` (as `kill -9` would) once step `S` is done and its checkpoint, if any, written.
///
/// The fault tests use it to stop a run at a known step, so that what they check (the job ends,
/// the checkpoint is intact, a rerun with any number of ranks resumes) does not depend on timing.
public enum FaultDrill {
    /// The environment variable that arms the drill.
    public static let variable = "DETOX_KILL_RANK_AFTER_STEP"

    /// The rank and step `value` names, or nil when it is not `R:S` with whole numbers.
    public static func target(_ value: String?) -> (rank: Int, step: Int)? {
        guard let parts = value?.split(separator: ":"), parts.count == 2, let rank = Int(parts[0]),
            let step = Int(parts[1])
        else { return nil }
        return (rank, step)
    }

    /// Kills this process when the drill names `rank` and `step`.
    public static func afterStep(_ step: Int, rank: Int) {
        guard let target = target(ProcessInfo.processInfo.environment[variable]), target == (rank, step) else { return }
        FileHandle.standardError.write(Data("fault drill: rank \(rank) kills itself after step \(step)\n".utf8))
        kill(getpid(), SIGKILL)
    }
}
