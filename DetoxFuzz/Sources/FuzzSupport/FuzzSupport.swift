import Foundation

/// What every harness shares: the input as bytes, and a scratch file for readers that take a path.
public enum FuzzInput {
    /// A folder of this process's own, made once (the readers under test map or read files): in
    /// `/dev/shm` where there is one, so that writing an input costs no disk I/O.
    public static let folder: URL = {
        var isFolder: ObjCBool = false
        let memory = FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isFolder) && isFolder.boolValue
        let base = memory ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
        let url = base.appendingPathComponent("detox-fuzz-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        // Removed at a normal exit (libFuzzer's end of run); a crash leaves it for inspection.
        atexit { try? FileManager.default.removeItem(at: FuzzInput.folder) }
        return url
    }()

    /// The bytes libFuzzer passes (`start` may be nil when `count` is 0).
    public static func bytes(_ start: UnsafeRawPointer?, _ count: Int) -> [UInt8] {
        guard let start, count > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: start, count: count))
    }

    /// Writes `bytes` to `name` inside ``folder`` and returns its URL.
    public static func file(_ name: String, _ bytes: [UInt8]) -> URL {
        let url = folder.appendingPathComponent(name)
        // Written in place, not atomically: a failed write shows as a missing or short file.
        try? Data(bytes).write(to: url)
        return url
    }

    /// `bytes` split at the first NUL: the part before and the part after (empty when none).
    public static func split(_ bytes: [UInt8]) -> (head: [UInt8], tail: [UInt8]) {
        guard let nul = bytes.firstIndex(of: 0) else { return (bytes, []) }
        return (Array(bytes[..<nul]), Array(bytes[(nul + 1)...]))
    }
}
