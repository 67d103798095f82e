// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (fixture fields keep the snake_case keys the Python fixture scripts write)
import DetoxOptimizers
import Foundation
import Testing

// MARK: - Schedules

/// Learning rates from transformers' `get_{linear,cosine,constant}_schedule_with_warmup` driven by a
/// `LambdaLR`, recorded before each optimizer step (and a few steps past the end).
struct ScheduleFixture: Decodable {
    struct Case: Decodable {
        let kind: String
        let warmup_steps: Int
        let total_steps: Int
        let cycles: Double?
        let base_lr: Double
        let lrs: [Double]
        let multipliers: [Double]
    }
    let cases: [Case]
}

@Suite("Learning-rate schedules match transformers")
struct ScheduleTests {
    @Test("Multipliers and rates per step")
    func parity() throws {
        let fixture = try loadFixture(ScheduleFixture.self, "schedules")
        try #require(fixture.cases.count == 13)
        for c in fixture.cases {
            let schedule: LearningRateSchedule
            switch c.kind {
            case "linear": schedule = try .linear(warmupSteps: c.warmup_steps, totalSteps: c.total_steps)
            case "cosine":
                schedule = try .cosine(warmupSteps: c.warmup_steps, totalSteps: c.total_steps, cycles: c.cycles ?? 0.5)
            case "constant": schedule = try .constant(warmupSteps: c.warmup_steps)
            default: throw FixtureError.unknown(c.kind)
            }
            for (step, expected) in c.lrs.enumerated() {
                let rate = schedule.learningRate(base: c.base_lr, step: step)
                // Same f64 arithmetic and libm as Python: equal up to the last bit or two.
                #expect(
                    Swift.abs(rate - expected) <= 1e-15, "\(c.kind) \(c.warmup_steps)/\(c.total_steps) step \(step)")
                #expect(
                    Swift.abs(schedule.multiplier(step: step) - c.multipliers[step]) <= 1e-12,
                    "\(c.kind) multiplier at \(step)")
            }
        }
    }

    @Test("applySchedule sets the rate from the optimizer's step count")
    func appliesToOptimizer() throws {
        let optimizer = try SGD(parameters: [], learningRate: 0.5)
        let schedule = try LearningRateSchedule.linear(warmupSteps: 2, totalSteps: 4)
        var seen: [Double] = []
        for _ in 0..<5 {
            optimizer.applySchedule(schedule)
            seen.append(optimizer.learningRate)
            try optimizer.step(grads: .init())
        }
        #expect(seen == [0, 0.25, 0.5, 0.25, 0])
        #expect(optimizer.baseLearningRate == 0.5)
    }

    @Test("Invalid step counts are rejected")
    func invalid() {
        #expect(throws: OptimizerError.self) { try LearningRateSchedule.linear(warmupSteps: -1, totalSteps: 10) }
        #expect(throws: OptimizerError.self) { try LearningRateSchedule.cosine(warmupSteps: 0, totalSteps: -3) }
        #expect(throws: OptimizerError.self) {
            try LearningRateSchedule.cosine(warmupSteps: 0, totalSteps: 3, cycles: .nan)
        }
        #expect(LearningRateSchedule.constant.multiplier(step: 123) == 1)
    }

    @Test("Schedules are Codable")
    func codable() throws {
        let schedule = try LearningRateSchedule.cosine(warmupSteps: 3, totalSteps: 30, cycles: 1.5)
        let data = try JSONEncoder().encode(schedule)
        #expect(try JSONDecoder().decode(LearningRateSchedule.self, from: data) == schedule)
    }
}
