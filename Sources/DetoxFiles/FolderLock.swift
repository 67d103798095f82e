import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive claim on an output folder for as long as a run writes into it, so two runs given
/// the same `--out` cannot mix their checkpoints and results: the second is refused with the first
/// one's process id.
///
/// The claim is an advisory `flock` on `.detox.lock` in the folder, which the system releases when
/// the process ends however it ends, so a crashed run never leaves a stale claim behind. The file
/// holds the owner's process id, for the message.
public final class FolderLock {
    /// The lock file.
    public let path: String
    private let descriptor: Int32

    /// The lock file's name inside a claimed folder.
    public static let fileName = ".detox.lock"

    /// Claims `folder` (creating it if needed).
    /// - Throws: ``FileWriteError/busy(folder:holder:)`` when another process holds it,
    ///   ``FileWriteError/io(file:reason:)`` when the lock file cannot be made.
    public init(claiming folder: URL) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw FileWriteError.io(
                file: folder.path, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        path = folder.appendingPathComponent(Self.fileName).path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw FileWriteError.io(
                file: path, reason: "cannot open the lock file: \(String(cString: strerror(errno)))")
        }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            var holder: Int32?
            if code == EWOULDBLOCK, let text = try? String(contentsOfFile: path, encoding: .utf8) {
                holder = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            close(fd)
            guard code == EWOULDBLOCK else {
                throw FileWriteError.io(file: path, reason: "flock failed: \(String(cString: strerror(code)))")
            }
            throw FileWriteError.busy(folder: folder.path, holder: holder)
        }
        descriptor = fd
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        close(descriptor)
    }
}
