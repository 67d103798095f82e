import Foundation

/// TRL's PPO step in a Python process that times one step per request
/// (`Scripts/bench/torch_bench.py --serve-ppo-steps`), so that the benchmark can alternate the two
/// sides' steps: on a shared machine whose speed drifts within minutes, only steps taken close
/// together in time compare fairly.
final class PythonStepServer {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let process = Process()
    private let requests = Pipe()
    private let replies = Pipe()
    private var pending = Data()

    /// Starts `python` on the serving script (run from the repository root) and waits until its
    /// trainer is built: the T5 one, or the one `kind` names (`causal-full`, `causal-lora`).
    init(python: String, kind: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["Scripts/bench/torch_bench.py", "--serve-ppo-steps"] + (kind.map { [$0] } ?? [])
        process.standardInput = requests
        process.standardOutput = replies
        do {
            try process.run()
        } catch {
            throw Failure(
                description: "could not start \(python) Scripts/bench/torch_bench.py --serve-ppo-steps: \(error)")
        }
        let greeting = readLine()
        guard greeting == "ready" else {
            throw Failure(
                description:
                    "the Python PPO step server said \(greeting.map { "\"\($0)\"" } ?? "nothing") instead of \"ready\"")
        }
    }

    /// Runs one TRL step in the Python process; returns the seconds it measured.
    func step() throws -> Double {
        requests.fileHandleForWriting.write(Data("step\n".utf8))
        let reply = readLine()
        guard let reply, let seconds = Double(reply) else {
            throw Failure(
                description:
                    "the Python PPO step server replied \(reply.map { "\"\($0)\"" } ?? "nothing") instead of a time")
        }
        return seconds
    }

    /// Ends the Python process (it stops at the end of its input); returns the peak resident bytes
    /// it reported on leaving (`peak <bytes>`), if it did.
    @discardableResult
    func finish() -> Double? {
        try? requests.fileHandleForWriting.close()
        let last = readLine()
        process.waitUntilExit()
        guard let last, last.hasPrefix("peak ") else { return nil }
        return Double(last.dropFirst("peak ".count))
    }

    /// The next line of the server's output, or `nil` when it has ended.
    private func readLine() -> String? {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                return line
            }
            let chunk = replies.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            pending.append(chunk)
        }
    }
}
