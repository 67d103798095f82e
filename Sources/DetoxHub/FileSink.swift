import Foundation

// MARK: - FileSink

/// Writes a download body to a file, appending from a given offset.
///
/// `@unchecked Sendable`: a sink is touched only by the transport's delegate callbacks, which
/// URLSession delivers one at a time on a queue limited to one operation, so its handle and size
/// are never used by two threads at once.
final class FileSink: @unchecked Sendable {
    private let handle: FileHandle
    private(set) var size: Int64

    init(file: URL, offset: Int64) throws {
        if !FileManager.default.fileExists(atPath: file.path) {
            guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
                throw HubError.cacheIO(path: file.path, reason: "cannot create file")
            }
        }
        do {
            handle = try FileHandle(forWritingTo: file)
            try handle.truncate(atOffset: UInt64(offset))
            try handle.seek(toOffset: UInt64(offset))
        } catch {
            throw HubError.cacheIO(path: file.path, reason: error.localizedDescription)
        }
        size = offset
    }

    deinit { try? handle.close() }

    /// Discards what was there (a server ignored the `Range` header).
    func restart() throws {
        try handle.truncate(atOffset: 0)
        try handle.seek(toOffset: 0)
        size = 0
    }

    func write(_ data: Data) throws {
        try handle.write(contentsOf: data)
        size += Int64(data.count)
    }

    func close() {
        try? handle.synchronize()
        try? handle.close()
    }
}
