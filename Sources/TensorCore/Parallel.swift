import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits element-wise work across cores when it is large enough to pay for the hand-off.
public enum Parallel {
    /// Number of worker threads used for large element-wise kernels.
    public static let coreCount: Int = {
        #if canImport(Glibc)
        return Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #endif
    }()

    /// Work below this many elements runs on the calling thread.
    public static let minimumParallelCount = 1 << 16

    /// Calls `body(start, end)` over disjoint chunks covering `0..<count`.
    ///
    /// Chunks run concurrently when `count` is large; `body` must only write to indices in its chunk.
    @inline(__always)
    public static func forChunks(
        _ count: Int, minimum: Int = minimumParallelCount,
        _ body: (_ start: Int, _ end: Int) -> Void
    ) {
        let workers = coreCount
        if count < minimum || workers == 1 {
            body(0, count)
            return
        }
        let chunk = (count + workers - 1) / workers
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let start = worker * chunk
                let end = Swift.min(count, start + chunk)
                if start < end { box.value(start, end) }
            }
        }
    }
}

/// Carries a value across a concurrency boundary that the caller has proven safe.
///
/// Used only for kernel closures that write disjoint ranges of a buffer.
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
