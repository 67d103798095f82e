#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// Ctrl-C handling for long runs: after ``install()``, the first SIGINT only raises a flag that the
/// trainers read after each optimizer step — they write a checkpoint and stop with
/// ``TrainingError/interrupted(step:)``. A second Ctrl-C ends the process at once.
public enum Interruption {
    nonisolated(unsafe) static var requested: sig_atomic_t = 0

    /// Routes SIGINT to the flag (the command-line tool calls this once at start).
    public static func install() {
        signal(SIGINT) { _ in
            if Interruption.requested != 0 { _exit(130) }
            Interruption.requested = 1
        }
    }

    /// Whether Ctrl-C was pressed since the last ``reset()``.
    public static var isRequested: Bool { requested != 0 }

    public static func reset() { requested = 0 }
}
