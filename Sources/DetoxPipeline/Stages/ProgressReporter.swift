import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Progress of a long loop or a download, written for a person: on a terminal one line redrawn in
/// place at most every ``redrawInterval`` seconds; elsewhere (a pipe, a log file) a whole line at
/// most every ``lineInterval`` seconds plus the first one. The last update before a task ends (or
/// before any other line) is always written, once.
///
/// ```swift
/// let progress = ProgressReporter(terminal: ProgressReporter.isTerminal(STDOUT_FILENO)) { print($0, terminator: "") }
/// for step in 1...300 { progress.update("step \(step)/300") }
/// progress.line("done")
/// ```
///
/// `@unchecked Sendable`: every mutable field is read and written under `lock` (downloads report
/// from a background queue).
public final class ProgressReporter: @unchecked Sendable {
    /// Whether progress is redrawn in place (a terminal) or written as separate lines.
    public let terminal: Bool
    /// Seconds between two redraws on a terminal.
    public let redrawInterval: Double
    /// Seconds between two progress lines elsewhere.
    public let lineInterval: Double
    private let clock: @Sendable () -> Double
    private let sink: @Sendable (String) -> Void
    private let lock = NSLock()
    /// When the last progress was written; `nil` until the first update of a task.
    private var lastWritten: Double?
    /// The newest update not written yet.
    private var pending: String?
    /// Whether a redrawn line is on the screen without its line break.
    private var drawn = false
    private var finishedKeys: Set<String> = []
    /// When each transfer reported first, for its rate.
    private var started: [String: Double] = [:]

    /// - Parameters:
    ///   - terminal: redraw one line in place (use ``isTerminal(_:)`` on the stream written to).
    ///   - redrawInterval: seconds between redraws on a terminal.
    ///   - lineInterval: seconds between progress lines elsewhere.
    ///   - clock: seconds from any fixed start (injectable for tests).
    ///   - write: writes text as given (line breaks and `\r` included).
    public init(
        terminal: Bool, redrawInterval: Double = 0.25, lineInterval: Double = 5,
        clock: @escaping @Sendable () -> Double = { ProgressReporter.monotonicSeconds() },
        write: @escaping @Sendable (String) -> Void
    ) {
        self.terminal = terminal
        self.redrawInterval = redrawInterval
        self.lineInterval = lineInterval
        self.clock = clock
        self.sink = write
    }

    /// A reporter writing to standard output (the stages' log lines go there).
    public static func standardOutput() -> ProgressReporter {
        ProgressReporter(terminal: isTerminal(STDOUT_FILENO)) { text in
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    /// A reporter writing to standard error (download progress goes there).
    public static func standardError() -> ProgressReporter {
        ProgressReporter(terminal: isTerminal(STDERR_FILENO)) { text in
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    /// Whether `descriptor` is a terminal.
    public static func isTerminal(_ descriptor: Int32) -> Bool { isatty(descriptor) != 0 }

    /// Seconds since an arbitrary fixed point, never going back.
    public static func monotonicSeconds() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }

    // MARK: - Reporting

    /// The newest state of the running task; written when due.
    public func update(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        let now = clock()
        let due = lastWritten.map { now - $0 >= (terminal ? redrawInterval : lineInterval) } ?? true
        guard due else {
            pending = line
            return
        }
        show(line)
        lastWritten = now
    }

    /// The task's last state: written now, and the line ended. With a `key`, only the first
    /// call for that key writes (a download reports its end twice).
    public func finish(_ line: String, key: String? = nil) {
        lock.lock()
        defer { lock.unlock() }
        if let key {
            guard finishedKeys.insert(key).inserted else { return }
        }
        pending = line
        endTask()
    }

    /// A line that is not progress: the running task's newest state is written first.
    public func line(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        endTask()
        sink(text + "\n")
    }

    /// Writes the newest update if it is still pending and ends a redrawn line (before the
    /// process exits, or before output written around the reporter).
    public func flush() {
        lock.lock()
        defer { lock.unlock() }
        endTask()
    }

    /// Routes a stage's log line: a step line (``isStepLine(_:)``) is progress, the last step
    /// (`step N/N`) ends it, anything else is a line.
    public func log(_ text: String) {
        guard Self.isStepLine(text) else { return line(text) }
        if Self.isLastStep(text) { finish(text) } else { update(text) }
    }

    /// A stage's per-step line (`step 12/300 …`, indented or not), other than one that reports
    /// an evaluation, which is kept as a line of its own.
    public static func isStepLine(_ text: String) -> Bool {
        text.drop { $0 == " " }.hasPrefix("step ") && !text.contains("eval_loss")
    }

    /// `step N/N …`: the step count has reached the total.
    static func isLastStep(_ text: String) -> Bool {
        let words = text.split(separator: " ")
        guard words.count >= 2 else { return false }
        let counts = words[1].split(separator: "/")
        return counts.count == 2 && Int(counts[0]) != nil && counts[0] == counts[1]
    }

    /// Reports `done` of `total` bytes of the transfer `name` (a file being downloaded): its
    /// size, rate and time left, the last report (`done == total`) written once.
    public func transfer(_ name: String, done: Int64, total: Int64) {
        lock.lock()
        let now = clock()
        let start = started[name] ?? now
        started[name] = start
        lock.unlock()
        let text = name + "  " + Self.transfer(bytes: done, of: total, elapsed: now - start)
        if done >= total { finish(text, key: name) } else { update(text) }
    }

    /// `"12.0 of 240.2 MB, 8.1 MB/s, ETA 0:27"` for a transfer `elapsed` seconds in.
    public static func transfer(bytes: Int64, of total: Int64, elapsed: Double) -> String {
        let rate = elapsed > 0 ? Double(bytes) / elapsed : 0
        var text = String(format: "%.1f of %.1f MB", Double(bytes) / 1e6, Double(total) / 1e6)
        guard rate > 0, bytes > 0 else { return text }
        let left = Int((Double(max(total - bytes, 0)) / rate).rounded())
        text += String(format: ", %.1f MB/s, ETA %d:%02d", rate / 1e6, left / 60, left % 60)
        return text
    }

    // MARK: - Writing (under the lock)

    private func show(_ line: String) {
        pending = nil
        if terminal {
            sink("\r\u{1B}[K" + line)
            drawn = true
        } else {
            sink(line + "\n")
        }
    }

    /// Writes what is pending and ends a redrawn line; the next update starts a new task.
    private func endTask() {
        if let pending { show(pending) }
        if drawn { sink("\n") }
        drawn = false
        lastWritten = nil
    }
}
