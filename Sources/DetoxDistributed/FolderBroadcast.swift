import Foundation

extension Communicator {
    /// Sends the files below rank 0's `folder` to every rank, for ranks on machines that do not
    /// share rank 0's disk (a checkpoint to resume from).
    ///
    /// Returns `folder` on rank 0; on the other ranks, a new temporary folder holding the same files
    /// at the same relative paths (the caller removes it); nil on every rank when rank 0 passes nil.
    /// What other ranks pass is ignored. A payload naming a path outside the folder, or cut short,
    /// throws ``DistributedError/malformedPayload(rank:reason:)``.
    public func broadcastFolder(_ folder: URL?) throws -> URL? {
        guard size > 1 else { return folder }
        let bytes = try broadcast(isRoot ? try Self.pack(folder) : [], from: 0)
        if isRoot { return folder }
        guard bytes.first == 1 else { return nil }
        let target = FileManager.default.temporaryDirectory.appendingPathComponent(
            "detox-rank\(rank)-\(UUID().uuidString)")
        try Self.unpack(bytes, into: target)
        return target
    }

    /// `[0]` for no folder; else `[1]`, then per file: path length (UInt32, little-endian), the
    /// relative path in UTF-8, data length (UInt64), the data.
    static func pack(_ folder: URL?) throws -> [UInt8] {
        guard let folder else { return [0] }
        var bytes: [UInt8] = [1]
        let root = folder.standardizedFileURL.path
        let paths = (FileManager.default.subpaths(atPath: root) ?? []).sorted()
        for path in paths {
            var isFolder: ObjCBool = false
            let full = root + "/" + path
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isFolder), !isFolder.boolValue else {
                continue
            }
            let data = try Data(contentsOf: URL(fileURLWithPath: full))
            let name = Array(path.utf8)
            withUnsafeBytes(of: UInt32(name.count).littleEndian) { bytes += $0 }
            bytes += name
            withUnsafeBytes(of: UInt64(data.count).littleEndian) { bytes += $0 }
            bytes += data
        }
        return bytes
    }

    static func unpack(_ bytes: [UInt8], into target: URL) throws {
        func malformed(_ reason: String) -> DistributedError { .malformedPayload(rank: 0, reason: reason) }
        var offset = 1
        func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard count >= 0, count <= bytes.count - offset else { throw malformed("a folder payload is cut short") }
            defer { offset += count }
            return bytes[offset..<offset + count]
        }
        func integer<Value: FixedWidthInteger>(_ type: Value.Type) throws -> Value {
            try take(MemoryLayout<Value>.size).reversed().reduce(Value.zero) { $0 << 8 | Value($1) }
        }
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        while offset < bytes.count {
            let path = String(decoding: try take(Int(try integer(UInt32.self))), as: UTF8.self)
            guard !path.isEmpty, !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
                throw malformed("a folder payload names the path \"\(path)\"")
            }
            let length = try integer(UInt64.self)
            guard length <= UInt64(bytes.count - offset) else { throw malformed("a folder payload is cut short") }
            let data = Data(try take(Int(length)))
            let file = target.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: file)
        }
    }
}
