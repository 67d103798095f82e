import Foundation

/// The PPO stage's JSON-lines log: one object per step with TRL's statistic names
/// (`env/reward_mean`, `objective/kl`, `objective/kl_coef`, `ppo/loss/policy`, ...) and `step`.
public struct TrainingLog: Sendable, Equatable {
    /// One entry per step, numeric fields only.
    public var steps: [[String: Double]]

    public init(steps: [[String: Double]]) { self.steps = steps }

    /// Reads a JSON-lines file; blank lines are skipped; a malformed line is an error naming it.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw EvaluationError.io(path: url.path, reason: error.localizedDescription)
        }
        var steps: [[String: Double]] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == 32 || $0 == 13 || $0 == 9 }) { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw EvaluationError.malformedLog(file: url.path, line: index + 1, reason: "not a JSON object")
            }
            var numbers: [String: Double] = [:]
            for (key, value) in object {
                if let number = value as? NSNumber, !(value is Bool) { numbers[key] = number.doubleValue }
            }
            steps.append(numbers)
        }
        self.steps = steps
    }

    /// The series of `key` as `(step, value)` points, skipping steps without it.
    public func series(_ key: String) -> [(x: Double, y: Double)] {
        steps.enumerated().compactMap { index, entry in
            entry[key].map { (entry["step"] ?? Double(index + 1), $0) }
        }
    }
}
