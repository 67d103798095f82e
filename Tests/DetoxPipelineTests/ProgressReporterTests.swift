import DetoxPipeline
import Foundation
import Testing

/// A clock the test moves by hand and a sink that keeps what was written.
final class ManualOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var now = 0.0
    private var written = ""

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return written
    }
    func advance(_ seconds: Double) {
        lock.lock()
        now += seconds
        lock.unlock()
    }
    func reporter(terminal: Bool) -> ProgressReporter {
        ProgressReporter(
            terminal: terminal,
            clock: { [self] in
                lock.lock()
                defer { lock.unlock() }
                return now
            },
            write: { [self] text in
                lock.lock()
                written += text
                lock.unlock()
            })
    }
}

@Suite struct ProgressReporterTests {
    /// Not a terminal: 300 steps at 0.125 s each give the first line, one every 5 s, and the
    /// last, each once; other lines pass through in order.
    @Test func periodicLinesWhenNotATerminal() {
        let output = ManualOutput()
        let progress = output.reporter(terminal: false)
        progress.log("loading")
        for step in 1...300 {
            output.advance(0.125)
            progress.log("  step \(step)/300  loss 1.0")
        }
        progress.log("saved")
        let lines = output.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "loading")
        #expect(lines.dropLast().last == "saved")
        let steps = lines.filter { $0.contains("step") }
        #expect(steps.first == "  step 1/300  loss 1.0")
        #expect(steps.last == "  step 300/300  loss 1.0")
        #expect(steps.count == 9)
        #expect(Set(steps).count == steps.count)
        #expect(!output.text.contains("\r"))
    }

    /// On a terminal: one line redrawn at most every 0.25 s, ended once at the last step.
    @Test func redrawnLineOnATerminal() {
        let output = ManualOutput()
        let progress = output.reporter(terminal: true)
        for step in 1...80 {
            output.advance(0.0625)
            progress.log("step \(step)/80")
        }
        let text = output.text
        // Steps 1, 5, 9, …, 77 (every 0.25 s), then the last.
        #expect(text.components(separatedBy: "\r\u{1B}[K").count - 1 == 21)
        #expect(text.hasSuffix("\r\u{1B}[Kstep 80/80\n"))
        #expect(text.filter { $0 == "\n" }.count == 1)
    }

    /// An interrupted loop (no `N/N` step): ``flush()`` still writes its newest step once.
    @Test func flushWritesThePendingStep() {
        let output = ManualOutput()
        let progress = output.reporter(terminal: false)
        progress.log("step 1/10")
        output.advance(1)
        progress.log("step 2/10")
        progress.flush()
        progress.flush()
        #expect(output.text == "step 1/10\nstep 2/10\n")
    }

    /// A download that reports every chunk and its end twice: the first update, one every 5 s,
    /// and the final size exactly once, with rate and time left.
    @Test func downloadReportsEachFileOnce() {
        let output = ManualOutput()
        let progress = output.reporter(terminal: false)
        let total: Int64 = 10_000_000
        for chunk in stride(from: Int64(0), through: total, by: 65_536) {
            output.advance(0.01)
            progress.transfer("model.safetensors", done: chunk, total: total)
        }
        progress.transfer("model.safetensors", done: total, total: total)
        progress.transfer("model.safetensors", done: total, total: total)
        let lines = output.text.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines.first == "model.safetensors  0.0 of 10.0 MB")
        #expect(lines.last?.hasPrefix("model.safetensors  10.0 of 10.0 MB, ") == true)
        #expect(lines.last?.hasSuffix("ETA 0:00") == true)
        #expect(
            ProgressReporter.transfer(bytes: 5_000_000, of: 10_000_000, elapsed: 2)
                == "5.0 of 10.0 MB, 2.5 MB/s, ETA 0:02")
    }
}
