import DetoxHub
import DetoxPipeline

#if canImport(Glibc)
    @preconcurrency import Glibc
#else
    @preconcurrency import Darwin
#endif

/// Makes standard output line-buffered whatever it is connected to, so progress lines reach a pipe
/// (`detox run recipe.yaml | tee log`) as they are written and a killed run loses none of them.
/// C's default is to buffer whole blocks when the output is not a terminal.
func lineBufferStandardOutput() {
    setvbuf(stdout, nil, _IOLBF, 0)
}

/// Unblocks SIGINT and SIGTERM, which a process inherits blocked from some launchers (a test
/// runner's child, a service manager): Ctrl-C must still stop a run at a step boundary.
func unblockStopSignals() {
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGINT)
    sigaddset(&signals, SIGTERM)
    pthread_sigmask(SIG_UNBLOCK, &signals, nil)
}

/// The tool's progress reporters: the stages' lines on standard output (step lines throttled or
/// redrawn), download progress on standard error.
enum ToolProgress {
    static let output = ProgressReporter.standardOutput()
    static let downloads = ProgressReporter.standardError()

    /// A Hub progress handler that reports on ``downloads``.
    static let hub: HubProgressHandler = { file, done, total in
        guard total > 0 else { return }
        ToolProgress.downloads.transfer(file, done: done, total: total)
    }
}
