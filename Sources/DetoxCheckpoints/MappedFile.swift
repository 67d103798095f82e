#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// MARK: - MappedFile

/// A read-only memory mapping of a whole file, unmapped when the last reference goes away.
///
/// The mapping is private and read-only, so the bytes never change under a reader unless another
/// process shrinks the file while it is mapped (touching the lost pages then raises `SIGBUS`,
/// which no mapping-based reader can turn into an error). An empty file has no mapping and an
/// empty ``bytes`` buffer. That immutability is what makes the `@unchecked Sendable` sound: every
/// field is a constant and the mapped bytes are only ever read.
final class MappedFile: @unchecked Sendable {
    /// The path, as given, for error messages.
    let path: String
    /// The mapped bytes.
    let bytes: UnsafeRawBufferPointer

    /// Maps the file at `path`, or throws ``CheckpointError/io(file:reason:)``.
    init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw CheckpointError.io(file: path, reason: "cannot open: \(MappedFile.errorText())")
        }
        defer { close(descriptor) }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw CheckpointError.io(file: path, reason: "cannot stat: \(MappedFile.errorText())")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw CheckpointError.io(file: path, reason: "not a regular file")
        }
        guard let length = Int(exactly: status.st_size), length >= 0 else {
            throw CheckpointError.io(file: path, reason: "unrepresentable file size \(status.st_size)")
        }
        guard length > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != MAP_FAILED else {
            throw CheckpointError.io(file: path, reason: "cannot map \(length) bytes: \(MappedFile.errorText())")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: length)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }

    /// The text of the current `errno`.
    static func errorText() -> String { String(cString: strerror(errno)) }
}
