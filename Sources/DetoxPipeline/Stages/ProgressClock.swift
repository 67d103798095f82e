import Foundation

/// Rate and time-left figures for a run of `total` steps, for the stages' progress lines.
public struct ProgressClock: Sendable {
    public let total: Int
    let start: Date
    let startStep: Int

    public init(total: Int, startingAt step: Int = 0) {
        self.total = total
        self.start = Date()
        self.startStep = step
    }

    /// `"1.8 s/step, ETA 0:42"` after `done` of `total` steps; no figures until a step has been
    /// timed (one finished after the clock started).
    public func describe(done: Int) -> String {
        let elapsed = Date().timeIntervalSince(start)
        let steps = done - startStep
        guard steps > 0 else { return "timing the next step" }
        let perStep = elapsed / Double(steps)
        let left = Int((perStep * Double(Swift.max(total - done, 0))).rounded())
        let rate =
            perStep >= 1
            ? String(format: "%.1f s/step", perStep) : String(format: "%.1f steps/s", 1 / Swift.max(perStep, 1e-9))
        return String(format: "%@, ETA %d:%02d", rate, left / 60, left % 60)
    }
}
