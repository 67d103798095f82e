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
}

/// Prints figures, with the ratio to the reference figure of the same name when one is known.
struct Report {
    var reference: [String: Double] = [:]

    init(referencePath: String?) {
        guard let referencePath, let data = FileManager.default.contents(atPath: referencePath),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return }
        for (key, value) in object {
            if let number = value as? Double { reference[key] = number }
        }
    }

    func print(_ figure: Figure, note: String = "") {
        var line = "\(figure.name): \(String(format: "%.3f", figure.value)) \(figure.unit)"
        if let theirs = reference[figure.name], theirs > 0 {
            let speedup = figure.higherIsBetter ? figure.value / theirs : theirs / figure.value
            line += String(format: "  | Python %.3f %@ | Detox ×%.2f the speed of Python", theirs, figure.unit, speedup)
        }
        if !note.isEmpty { line += "  | \(note)" }
        Swift.print(line)
    }
}
