import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// MARK: - AtomicFileWriter

/// Writes a file so that readers see either the old contents or the complete new ones.
///
/// The bytes go to a temporary file in the destination's folder (so the final rename stays on one
/// file system), which is flushed with `fsync` and then renamed over the destination. If anything
/// fails, or the process dies first, the destination is untouched and the temporary file is
/// removed (or, after a crash, left as a hidden `.<name>.tmp-…` file beside it).
///
/// ```swift
/// try AtomicFileWriter.write(to: url) { writer in
///     try writer.write(headerBytes)
/// }
/// ```
public struct AtomicFileWriter: ~Copyable {
    /// The destination, for error messages.
    public let destination: String
    private let descriptor: Int32

    // MARK: Writing

    /// Creates the temporary file, lets `body` fill it, then flushes it and renames it over `url`.
    ///
    /// - Throws: ``FileWriteError/io(file:reason:)`` naming `url` when the folder is missing or
    ///   not writable, a write or flush fails, or the rename fails; any error `body` throws is
    ///   passed on. In every case no temporary file is left behind and `url` is unchanged.
    public static func write(to url: URL, _ body: (inout AtomicFileWriter) throws -> Void) throws {
        let destination = url.path
        let folder = url.deletingLastPathComponent().path
        let temporary = "\(folder)/.\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw FileWriteError.io(
                file: destination, reason: "cannot create a temporary file in \(folder): \(errorText())")
        }
        var closed = false
        var renamed = false
        defer {
            if !closed { close(descriptor) }
            if !renamed { unlink(temporary) }
        }

        var writer = AtomicFileWriter(destination: destination, descriptor: descriptor)
        try body(&writer)
        guard fsync(descriptor) == 0 else {
            throw FileWriteError.io(file: destination, reason: "cannot flush to disk: \(errorText())")
        }
        closed = true
        guard close(descriptor) == 0 else {
            throw FileWriteError.io(file: destination, reason: "cannot close: \(errorText())")
        }
        guard rename(temporary, destination) == 0 else {
            throw FileWriteError.io(
                file: destination, reason: "cannot rename the temporary file into place: \(errorText())")
        }
        renamed = true
        syncFolder(folder)
    }

    /// Convenience: writes `bytes` atomically to `url`.
    public static func write(_ bytes: [UInt8], to url: URL) throws {
        try write(to: url) { writer in try writer.write(bytes) }
    }

    /// Appends `bytes` to the file.
    public mutating func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Appends the bytes of `buffer` to the file, retrying short and interrupted writes.
    public mutating func write(_ buffer: UnsafeRawBufferPointer) throws {
        guard var next = buffer.baseAddress else { return }
        var remaining = buffer.count
        while remaining > 0 {
            #if canImport(Darwin)
                let written = Darwin.write(descriptor, next, remaining)
            #elseif canImport(Musl)
                let written = Musl.write(descriptor, next, remaining)
            #else
                let written = Glibc.write(descriptor, next, remaining)
            #endif
            if written < 0 {
                if errno == EINTR { continue }
                throw FileWriteError.io(file: destination, reason: "write failed: \(Self.errorText())")
            }
            next += written
            remaining -= written
        }
    }

    // MARK: Helpers

    /// Flushes the folder entry so the rename itself survives a crash (best effort).
    private static func syncFolder(_ folder: String) {
        let descriptor = open(folder, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }
}
