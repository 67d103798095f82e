/// The coefficient of the KL penalty, TRL's `AdaptiveKLController` and `FixedKLController`
/// (`trl/trainer/utils.py`, v0.11.4).
///
/// The adaptive controller (Ziegler et al. 2019) moves the coefficient toward keeping the measured
/// KL at `target`: `value ← value · (1 + clip(current/target − 1, −0.2, 0.2) · nSteps / horizon)`.
public struct KLController: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case adaptive, fixed }

    public let kind: Kind
    public private(set) var value: Double
    public let target: Double
    public let horizon: Double

    public static func adaptive(initial: Double, target: Double, horizon: Double) -> KLController {
        KLController(kind: .adaptive, value: initial, target: target, horizon: horizon)
    }

    public static func fixed(_ value: Double) -> KLController {
        KLController(kind: .fixed, value: value, target: 0, horizon: 1)
    }

    /// Restores the coefficient saved in a checkpoint.
    mutating func setValue(_ value: Double) { self.value = value }

    /// Updates the coefficient after a step whose mean per-sequence KL was `current`, over `nSteps`
    /// samples (TRL passes `batch_size × num_processes`).
    public mutating func update(current: Double, nSteps: Int) {
        guard kind == .adaptive else { return }
        let error = Swift.min(Swift.max(current / target - 1, -0.2), 0.2)
        value *= 1 + error * Double(nSteps) / horizon
    }
}
