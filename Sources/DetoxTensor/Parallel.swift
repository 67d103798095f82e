import CDetoxBLAS
import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Splits element-wise work across cores when it is large enough to pay for the hand-off.
public enum Parallel {
    /// Number of worker threads used for large element-wise kernels.
    public static let coreCount: Int = Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// Sets the size of the thread team that products and element-wise kernels use from now on
    /// (OpenMP's `omp_set_num_threads` on Linux; one rank of several under `mpirun` takes its share
    /// of the cores). Nothing on macOS.
    public static func setThreadCount(_ count: Int) {
        #if os(Linux)
            omp_set_num_threads(Int32(Swift.max(1, Swift.min(count, Int(Int32.max)))))
        #endif
    }

    /// Work below this many elements runs on the calling thread.
    public static let minimumParallelCount = 1 << 16

    /// Calls `body(start, end)` over disjoint chunks covering `0..<count`.
    ///
    /// Chunks run concurrently when `count` is large; `body` must only write to indices in its chunk.
    /// On Linux the chunks run on the OpenMP thread team that oneDNN's `sgemm` also uses, so products
    /// and element-wise work hand the cores to each other instead of competing for them.
    @inline(__always)
    public static func forChunks(
        _ count: Int, minimum: Int = minimumParallelCount,
        _ body: (_ start: Int, _ end: Int) -> Void
    ) {
        if count < minimum || coreCount == 1 {
            body(0, count)
            return
        }
        #if os(Linux)
            withoutActuallyEscaping(body) { body in
                var job = ChunkJob(count: count, body: body)
                withUnsafeMutablePointer(to: &job) { pointer in
                    GOMP_parallel(runChunk, UnsafeMutableRawPointer(pointer), 0, 0)
                }
            }
        #else
            let workers = coreCount
            let chunk = (count + workers - 1) / workers
            withoutActuallyEscaping(body) { body in
                let box = UncheckedSendable(body)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    let start = worker * chunk
                    let end = Swift.min(count, start + chunk)
                    if start < end { box.value(start, end) }
                }
            }
        #endif
    }
}

#if os(Linux)
    /// What one `GOMP_parallel` region runs: each thread of the team takes its share of `0..<count`.
    private struct ChunkJob {
        let count: Int
        let body: (Int, Int) -> Void
    }

    private func runChunk(_ context: UnsafeMutableRawPointer?) {
        guard let job = context?.assumingMemoryBound(to: ChunkJob.self).pointee else { return }
        let workers = Int(omp_get_num_threads())
        let worker = Int(omp_get_thread_num())
        let chunk = (job.count + workers - 1) / workers
        let start = worker * chunk
        let end = Swift.min(job.count, start + chunk)
        if start < end { job.body(start, end) }
    }
#endif

/// Carries a value across a concurrency boundary that the caller has proven safe.
///
/// Used only for kernel closures that write disjoint ranges of a buffer: each chunk of
/// ``Parallel/forChunks(_:minimum:_:)`` touches only its own indices, and the call returns only
/// after every chunk has finished, so no value is used by two threads at once in a conflicting way.
package struct UncheckedSendable<Value>: @unchecked Sendable {
    package let value: Value
    package init(_ value: Value) { self.value = value }
}
