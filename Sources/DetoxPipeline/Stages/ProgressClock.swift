import Foundation

/// Rate and time-left figures for a run of `total` steps (or prompts, dialogues: any `unit`), for
/// the stages' progress lines.
public struct ProgressClock: Sendable {
    public let total: Int
    /// What is counted, singular: `step`, `prompt`, `dialogue`.
    public let unit: String
    let start: Date
    let startStep: Int

    public init(total: Int, startingAt step: Int = 0, unit: String = "step") {
        self.total = total
        self.unit = unit
        self.start = Date()
        self.startStep = step
    }

    /// `"1.8 s/step, ETA 0:42"` after `done` of `total` steps; no figures until a step has been
    /// timed (one finished after the clock started).
    public func describe(done: Int) -> String {
        let elapsed = Date().timeIntervalSince(start)
        let steps = done - startStep
        guard steps > 0 else { return "timing the next \(unit)" }
        let perStep = elapsed / Double(steps)
        let left = Int((perStep * Double(Swift.max(total - done, 0))).rounded())
        let rate =
            perStep >= 1
            ? String(format: "%.1f s/\(unit)", perStep)
            : String(format: "%.1f \(unit)s/s", 1 / Swift.max(perStep, 1e-9))
        return String(format: "%@, ETA %d:%02d", rate, left / 60, left % 60)
    }
}
