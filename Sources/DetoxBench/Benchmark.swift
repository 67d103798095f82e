import Foundation

/// One measured figure, printed as a line and comparable with the PyTorch side by name.
struct Figure {
    let name: String
    let value: Double
    let unit: String
    /// Whether a larger value is better (throughput) or worse (time).
    let higherIsBetter: Bool
}

enum Clock {
    static func seconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// Median wall time of `repeats` runs of `body`, after `warmup` untimed runs.
    static func median(warmup: Int = 2, repeats: Int = 7, _ body: () throws -> Void) rethrows -> Double {
        for _ in 0..<warmup { try body() }
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = seconds()
            try body()
            times.append(seconds() - start)
        }
        return times.sorted()[times.count / 2]
    }

    /// For cases of seconds each: the median of up to `repeats` timed runs after `warmup` untimed
    /// ones, as many as fit in `budget` seconds judging by the first timed run (an odd count, at
    /// least one). Returns the median and the count of timed runs. `model_bench.py` does the same.
    static func median(warmup: Int, repeats: Int, budget: Double, _ body: () throws -> Void) rethrows -> (
        seconds: Double, runs: Int
    ) {
        for _ in 0..<warmup { try body() }
        var times: [Double] = []
        var runs = 1
        while times.count < runs {
            let start = seconds()
            try body()
            times.append(seconds() - start)
            if times.count == 1 {
                runs = Swift.max(1, Swift.min(repeats, Int(budget / Swift.max(times[0], 1e-9))))
                if runs % 2 == 0 { runs -= 1 }
            }
        }
        return (times.sorted()[times.count / 2], times.count)
    }
}

/// Prints figures, with the ratio to the reference figure of the same name when one is known.
///
/// The reference JSON may also hold strings under `"note: <figure name>"`: why the Python side
/// has no figure of that name (printed at the end of the figure's line).
struct Report {
    var reference: [String: Double] = [:]
    var referenceNotes: [String: String] = [:]

    /// How a figure is set beside the Python figure of the same name.
    enum Comparison {
        /// A time or throughput: the line ends with Detox's speed relative to Python's.
        case speed
        /// Any other quantity (a byte ratio, ...): both values, no speed claim.
        case value
    }

    init(referencePath: String?) {
        guard let referencePath, let data = FileManager.default.contents(atPath: referencePath),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return }
        for (key, value) in object {
            if let number = value as? Double {
                reference[key] = number
            } else if let text = value as? String, key.hasPrefix("note: ") {
                referenceNotes[String(key.dropFirst("note: ".count))] = text
            }
        }
    }

    /// How many timed runs the Python side's median took for `name` (`"runs: <name>"`), when it says.
    func referenceRuns(_ name: String) -> Int? { reference["runs: \(name)"].map { Int($0) } }

    func print(_ figure: Figure, note: String = "", comparison: Comparison = .speed) {
        var line = "\(figure.name): \(String(format: "%.3f", figure.value)) \(figure.unit)"
        if let theirs = reference[figure.name], theirs > 0 {
            switch comparison {
            case .speed:
                let speedup = figure.higherIsBetter ? figure.value / theirs : theirs / figure.value
                line += String(
                    format: "  | Python %.3f %@ | Detox ×%.2f the speed of Python", theirs, figure.unit, speedup)
            case .value:
                line += String(format: "  | Python %.3f %@", theirs, figure.unit)
            }
        } else if let why = referenceNotes[figure.name] {
            line += "  | Python: not measured (\(why))"
        }
        if !note.isEmpty { line += "  | \(note)" }
        Swift.print(line)
    }
}
