import Foundation

// MARK: - Schedule

/// A learning-rate multiplier as a function of the number of optimizer steps taken, matching the
/// `lr_lambda`s of Hugging Face transformers' schedules (used through `torch.optim.lr_scheduler.LambdaLR`).
///
/// The rate for the step after `step` completed ones is `base × multiplier(step:)`;
/// ``Optimizer/applySchedule(_:)`` sets it from the optimizer's ``Optimizer/stepCount``.
public enum LearningRateSchedule: Codable, Sendable, Equatable {
    /// Always 1.
    case constant
    /// Linear warmup from 0, then 1 (`get_constant_schedule_with_warmup`).
    case constantWithWarmup(warmupSteps: Int)
    /// Linear warmup from 0 to 1, then linear decay to 0 at `totalSteps`, and 0 after
    /// (`get_linear_schedule_with_warmup`).
    case linearWithWarmup(warmupSteps: Int, totalSteps: Int)
    /// Linear warmup from 0 to 1, then a cosine over `cycles` periods from 1 (0.5 cycles decays to
    /// 0 at `totalSteps`), floored at 0 (`get_cosine_schedule_with_warmup`).
    case cosineWithWarmup(warmupSteps: Int, totalSteps: Int, cycles: Double = 0.5)

    // MARK: - Creation

    /// A checked linear schedule: throws ``OptimizerError/invalidSchedule(_:)`` for negative counts.
    public static func linear(warmupSteps: Int, totalSteps: Int) throws -> LearningRateSchedule {
        try check(warmupSteps: warmupSteps, totalSteps: totalSteps)
        return .linearWithWarmup(warmupSteps: warmupSteps, totalSteps: totalSteps)
    }

    /// A checked cosine schedule: throws ``OptimizerError/invalidSchedule(_:)`` for negative counts
    /// or a non-finite cycle count.
    public static func cosine(warmupSteps: Int, totalSteps: Int, cycles: Double = 0.5) throws -> LearningRateSchedule {
        try check(warmupSteps: warmupSteps, totalSteps: totalSteps)
        guard cycles.isFinite else { throw OptimizerError.invalidSchedule("cycles must be finite, got \(cycles)") }
        return .cosineWithWarmup(warmupSteps: warmupSteps, totalSteps: totalSteps, cycles: cycles)
    }

    /// A checked constant-with-warmup schedule.
    public static func constant(warmupSteps: Int) throws -> LearningRateSchedule {
        try check(warmupSteps: warmupSteps, totalSteps: warmupSteps)
        return .constantWithWarmup(warmupSteps: warmupSteps)
    }

    private static func check(warmupSteps: Int, totalSteps: Int) throws {
        guard warmupSteps >= 0 else { throw OptimizerError.invalidSchedule("warmup steps \(warmupSteps) < 0") }
        guard totalSteps >= 0 else { throw OptimizerError.invalidSchedule("total steps \(totalSteps) < 0") }
    }

    // MARK: - Values

    /// The multiplier of the base learning rate after `step` completed optimizer steps.
    public func multiplier(step: Int) -> Double {
        switch self {
        case .constant:
            return 1
        case .constantWithWarmup(let warmup):
            if step < warmup { return Double(step) / Double(Swift.max(1, warmup)) }
            return 1
        case .linearWithWarmup(let warmup, let total):
            if step < warmup { return Double(step) / Double(Swift.max(1, warmup)) }
            return Swift.max(0, Double(total - step) / Double(Swift.max(1, total - warmup)))
        case .cosineWithWarmup(let warmup, let total, let cycles):
            if step < warmup { return Double(step) / Double(Swift.max(1, warmup)) }
            let progress = Double(step - warmup) / Double(Swift.max(1, total - warmup))
            return Swift.max(0, 0.5 * (1 + Foundation.cos(Double.pi * cycles * 2 * progress)))
        }
    }

    /// `base × multiplier(step:)`, the learning rate for the step after `step` completed ones.
    public func learningRate(base: Double, step: Int) -> Double { base * multiplier(step: step) }
}
