import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// MARK: - FaultPoint

/// Test-only fault injection at named points of the write paths, so the fault tests can kill a
/// run at an exact moment instead of after a guessed delay.
///
/// `DETOX_FAULT=<point>:<n>` makes the process `SIGKILL` itself the `n`-th time it reaches
/// `point`; `DETOX_FAULT=<point>:<n>:int` raises `SIGINT` instead (a Ctrl-C at that moment).
/// Without the variable (every normal run) ``reach(_:)`` is one comparison. The points:
///
/// - `checkpoint.begin`: a training checkpoint is about to be staged;
/// - `checkpoint.adapter`: the adapter is in the staging folder, the rest is not;
/// - `checkpoint.staged`: the staging folder is complete, the old checkpoint still in place;
/// - `checkpoint.swapped`: the old checkpoint was moved aside, the new one not yet into place;
/// - `metrics.appended`: a step's line was flushed to the metrics log;
/// - `demo.base.step`: the demo's base-model training finished a step.
public enum FaultPoint {
    /// What `DETOX_FAULT` asks for.
    struct Plan {
        var point: String
        var count: Int
        var interrupt: Bool
    }

    static let plan: Plan? = parse(ProcessInfo.processInfo.environment["DETOX_FAULT"])
    nonisolated(unsafe) static var reached = 0
    static let lock = NSLock()

    /// `<point>:<n>[:int]`; anything else is no plan.
    static func parse(_ text: String?) -> Plan? {
        guard let parts = text?.split(separator: ":").map(String.init), parts.count == 2 || parts.count == 3,
            let count = Int(parts[1]), count >= 1, parts.count == 2 || parts[2] == "int"
        else { return nil }
        return Plan(point: parts[0], count: count, interrupt: parts.count == 3)
    }

    /// Marks that the process reached `point`; kills or interrupts it when `DETOX_FAULT` names
    /// this point and visit.
    public static func reach(_ point: String) {
        guard let plan, plan.point == point else { return }
        lock.lock()
        reached += 1
        let due = reached == plan.count
        lock.unlock()
        guard due else { return }
        if plan.interrupt {
            raise(SIGINT)
        } else {
            FileHandle.standardError.write(Data("DETOX_FAULT: killing the process at \(point) #\(plan.count)\n".utf8))
            kill(getpid(), SIGKILL)
        }
    }
}
