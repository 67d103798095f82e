import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// MARK: - FileLock

/// An exclusive advisory lock on a file (`flock`), the same kind Python's `filelock` takes on
/// `$HF_HUB_CACHE/.locks/<repo folder>/<etag>.lock`, so a Swift and a Python process never write
/// the same blob at once.
///
/// Waiting polls with `LOCK_NB` and `Task.sleep` rather than blocking a cooperative thread.
/// `@unchecked Sendable`: the only mutable field, the descriptor, is read and written under `mutex`.
final class FileLock: @unchecked Sendable {
    /// The lock file.
    let path: String
    private var descriptor: Int32 = -1
    private let mutex = NSLock()

    init(path: String) {
        self.path = path
    }

    deinit {
        unlock()
    }

    // MARK: - Locking

    /// Takes the lock, creating the file (and its folder) if needed; waits at most `timeout` seconds.
    func lock(timeout: Double) async throws {
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw HubError.cacheIO(path: folder, reason: "cannot create lock folder: \(error.localizedDescription)")
        }
        let fd = open(path, O_RDWR | O_CREAT, 0o664)
        guard fd >= 0 else {
            throw HubError.cacheIO(path: path, reason: "cannot open lock file: \(String(cString: strerror(errno)))")
        }
        let start = Date()
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                close(fd)
                throw HubError.cacheIO(path: path, reason: "flock failed: \(String(cString: strerror(code)))")
            }
            if Date().timeIntervalSince(start) >= timeout {
                close(fd)
                throw HubError.lockTimeout(path: path, seconds: timeout)
            }
            do {
                try await Task.sleep(nanoseconds: 50_000_000)
            } catch {
                close(fd)
                throw error
            }
        }
        store(fd)
    }

    private func store(_ fd: Int32) {
        mutex.lock()
        descriptor = fd
        mutex.unlock()
    }

    /// Releases the lock; harmless when not held. The lock file stays, as Python leaves it.
    func unlock() {
        mutex.lock()
        defer { mutex.unlock() }
        guard descriptor >= 0 else { return }
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    /// Runs `body` holding the lock.
    func withLock<T>(timeout: Double, _ body: () async throws -> T) async throws -> T {
        try await lock(timeout: timeout)
        defer { unlock() }
        return try await body()
    }
}
