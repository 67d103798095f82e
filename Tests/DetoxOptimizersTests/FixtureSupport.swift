// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (fixture fields keep the snake_case keys the Python fixture scripts write)
import DetoxNN
import DetoxOptimizers
import DetoxTensor
import Foundation
import Testing

// MARK: - Tolerance

/// Parity tolerance against PyTorch: an element passes when `|swift − torch| ≤ atol + rtol·|torch|`.
enum Tolerance {
    static let absolute: Float = 1e-6
    static let relative: Float = 1e-6

    /// The first element outside the tolerance, described, or `nil` when all are close.
    static func mismatch(_ actual: [Float], _ expected: [Float]) -> String? {
        guard actual.count == expected.count else { return "count \(actual.count) vs \(expected.count)" }
        for i in 0..<actual.count {
            let a = actual[i]
            let e = expected[i]
            if a.bitPattern == e.bitPattern { continue }
            if !(Swift.abs(a - e) <= absolute + relative * Swift.abs(e)) {
                return "element \(i): \(a) vs torch \(e) (|diff| \(Swift.abs(a - e)))"
            }
        }
        return nil
    }
}

// MARK: - Fixtures

/// Loads `Fixtures/<name>.json` from the test bundle.
func loadFixture<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
    let url = try #require(
        Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"),
        "missing fixture \(name).json")
    return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
}

/// Fixture values are float32 values written exactly as doubles.
func floats(_ values: [Double]) -> [Float] { values.map { Float($0) } }

/// A 10-step optimizer trajectory recorded from PyTorch by `make_optimizer_fixtures.py`.
struct TrajectoryFixture: Decodable {
    struct Config: Decodable {
        let lr: Double
        let beta1: Double?
        let beta2: Double?
        let eps: Double?
        let weight_decay: Double
        let amsgrad: Bool?
        let momentum: Double?
        let dampening: Double?
        let nesterov: Bool?
    }

    struct Schedule: Decodable {
        let kind: String
        let warmup_steps: Int
        let total_steps: Int
    }

    struct Step: Decodable {
        let lr: Double
        /// `nil` for a parameter whose `.grad` was `None` at this step.
        let grads: [String: [Double]?]
        let params: [String: [Double]]
        let norm: Double?
    }

    let optimizer: String
    let config: Config
    let names: [String]
    let shapes: [String: [Int]]
    let initial: [String: [Double]]
    let steps: [Step]
    let schedule: Schedule?
    let max_norm: Double?

    /// Fresh parameters with the fixture's initial values.
    func makeParameters() throws -> [(name: String, parameter: Parameter)] {
        try names.map { name in
            let shape = try #require(shapes[name])
            let values = try #require(initial[name])
            return (name, Parameter(try Tensor(shape: shape, values: floats(values))))
        }
    }

    /// The optimizer the fixture was recorded with, over `parameters`.
    func makeOptimizer(_ parameters: [(name: String, parameter: Parameter)]) throws -> any Optimizer {
        let c = config
        switch optimizer {
        case "adamw":
            return try Adam(
                parameters: parameters, learningRate: c.lr, betas: (try #require(c.beta1), try #require(c.beta2)),
                epsilon: try #require(c.eps), weightDecay: c.weight_decay, decoupledWeightDecay: true,
                amsgrad: c.amsgrad ?? false)
        case "adam":
            return try Adam(
                parameters: parameters, learningRate: c.lr, betas: (try #require(c.beta1), try #require(c.beta2)),
                epsilon: try #require(c.eps), weightDecay: c.weight_decay, amsgrad: c.amsgrad ?? false)
        case "sgd":
            return try SGD(
                parameters: parameters, learningRate: c.lr, momentum: c.momentum ?? 0, dampening: c.dampening ?? 0,
                weightDecay: c.weight_decay, nesterov: c.nesterov ?? false)
        default:
            throw FixtureError.unknown(optimizer)
        }
    }

    /// The schedule of the fixture, if any.
    func makeSchedule() throws -> LearningRateSchedule? {
        guard let schedule else { return nil }
        switch schedule.kind {
        case "linear": return try .linear(warmupSteps: schedule.warmup_steps, totalSteps: schedule.total_steps)
        case "cosine": return try .cosine(warmupSteps: schedule.warmup_steps, totalSteps: schedule.total_steps)
        default: throw FixtureError.unknown(schedule.kind)
        }
    }

    /// The gradients of step `index` for `parameters` (skipping those torch left at `None`).
    func grads(at index: Int, for parameters: [(name: String, parameter: Parameter)]) throws -> GradStore {
        var store = GradStore()
        for (name, parameter) in parameters {
            guard let entry = steps[index].grads[name], let values = entry else { continue }
            store.set(try Tensor(shape: parameter.shape, values: floats(values)), for: parameter.tensor)
        }
        return store
    }
}

enum FixtureError: Error {
    case unknown(String)
}

// MARK: - Running

/// Runs steps `range` of a fixture on `optimizer` (schedule and clipping included, as recorded) and
/// checks every parameter after every step against torch. Returns the largest absolute difference.
@discardableResult
func runAndCompare(
    _ fixture: TrajectoryFixture, optimizer: any Optimizer, steps range: Range<Int>,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> Float {
    let schedule = try fixture.makeSchedule()
    var worst: Float = 0
    try #require(
        !range.isEmpty && range.upperBound <= fixture.steps.count, "steps \(range) of \(fixture.steps.count)",
        sourceLocation: sourceLocation)
    for index in range {
        let step = fixture.steps[index]
        if let schedule { optimizer.applySchedule(schedule) }
        #expect(
            Swift.abs(optimizer.learningRate - step.lr) <= 1e-15, "lr at step \(index)",
            sourceLocation: sourceLocation)
        var grads = try fixture.grads(at: index, for: optimizer.parameters)
        if let maxNorm = fixture.max_norm {
            let norm = optimizer.clipGradientNorm(&grads, maxNorm: Float(maxNorm))
            let expected = Float(try #require(step.norm))
            #expect(
                Swift.abs(norm - expected) <= Tolerance.absolute + Tolerance.relative * expected,
                "norm at step \(index): \(norm) vs torch \(expected)", sourceLocation: sourceLocation)
        }
        try optimizer.step(grads: grads)
        for (name, parameter) in optimizer.parameters {
            let expected = floats(try #require(step.params[name]))
            let actual = parameter.tensor.values
            let problem = Tolerance.mismatch(actual, expected)
            #expect(
                problem == nil, "\(fixture.optimizer) step \(index) \(name): \(problem ?? "")",
                sourceLocation: sourceLocation)
            for (a, e) in zip(actual, expected) { worst = Swift.max(worst, Swift.abs(a - e)) }
        }
    }
    return worst
}

/// Bitwise equality of two float arrays.
func bitwiseEqual(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}
