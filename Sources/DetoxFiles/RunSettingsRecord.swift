import Foundation

/// The settings that shape a training run's results (seed, learning rate, batch sizes, adapter
/// shape, the identity of its model and data files, ...), recorded as flat `key: value` strings
/// in its output folder, so that resuming the folder with different ones is refused instead of
/// silently continuing someone else's run into a hybrid.
///
/// Settings that only say how long to run or how often to save (total steps, the checkpoint
/// interval, log verbosity) do not belong in the record: extending a run on resume is normal.
public struct RunSettingsRecord: Equatable, Sendable {
    /// The file in the output folder that holds the record.
    public static let fileName = "run_settings.json"

    /// Each setting's value as text, by key.
    public var values: [String: String]

    public init(_ values: [String: String]) { self.values = values }

    /// One setting whose value differs between the record and this run (`nil`: absent there).
    public struct Difference: Equatable, Sendable, CustomStringConvertible {
        public var key: String
        public var recorded: String?
        public var current: String?

        public init(key: String, recorded: String?, current: String?) {
            self.key = key
            self.recorded = recorded
            self.current = current
        }

        public var description: String {
            "\(key): \(recorded ?? "(not recorded)") in the checkpoint, \(current ?? "(not set)") now"
        }
    }

    /// The settings whose values differ from `recorded`'s, sorted by key.
    public func differences(from recorded: RunSettingsRecord) -> [Difference] {
        Set(values.keys).union(recorded.values.keys).sorted().compactMap { key in
            values[key] == recorded.values[key]
                ? nil : Difference(key: key, recorded: recorded.values[key], current: values[key])
        }
    }

    /// Checks this run against `folder`'s record before it resumes there, and records it.
    ///
    /// When `resuming` (a checkpoint is about to be continued), a record that differs is refused
    /// with ``ResumeMismatchError`` listing every differing key with both values; a folder without
    /// a record (a checkpoint from before records existed) is accepted. The record is then
    /// (re)written, so a fresh or restarted run replaces an old one.
    public func check(folder: URL, resuming: Bool) throws {
        let file = folder.appendingPathComponent(Self.fileName)
        if resuming, let data = FileManager.default.contents(atPath: file.path) {
            guard let recorded = try? JSONDecoder().decode([String: String].self, from: data) else {
                throw ResumeMismatchError(
                    folder: folder.path,
                    differences: [Difference(key: Self.fileName, recorded: "unreadable", current: nil)])
            }
            let differences = differences(from: RunSettingsRecord(recorded))
            guard differences.isEmpty else { throw ResumeMismatchError(folder: folder.path, differences: differences) }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFileWriter.write([UInt8](try encoder.encode(values)), to: file)
    }

    /// `value` (any `Encodable`, typically a settings struct) flattened to `prefix.key.subkey`
    /// strings: nested objects join their keys with dots, arrays and scalars are their JSON text.
    public static func flattened(_ value: some Encodable, prefix: String) throws -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try flattened(json: try encoder.encode(value), prefix: prefix)
    }

    /// A JSON document flattened as ``flattened(_:prefix:)`` flattens an encoded value.
    public static func flattened(json: Data, prefix: String) throws -> [String: String] {
        let object = try JSONSerialization.jsonObject(with: json, options: [.fragmentsAllowed])
        var result: [String: String] = [:]
        func walk(_ node: Any, _ path: String) throws {
            if let dictionary = node as? [String: Any] {
                for (key, child) in dictionary { try walk(child, path.isEmpty ? key : "\(path).\(key)") }
            } else {
                let data = try JSONSerialization.data(
                    withJSONObject: node, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes])
                result[path] = String(decoding: data, as: UTF8.self)
            }
        }
        try walk(object, prefix)
        return result
    }

    /// What identifies a file's content: its size and the FNV-1a 64-bit hash of its bytes, read
    /// in 1 MiB blocks (data files and `config.json`, not model weights).
    public static func fileIdentity(_ url: URL) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw FileWriteError.io(file: url.path, reason: "cannot be opened to record its identity")
        }
        defer { try? handle.close() }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var size = 0
        while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty {
            size += block.count
            for byte in block { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        return "\(size) bytes, fnv1a64 \(String(hash, radix: 16))"
    }
}

/// A run was asked to resume an output folder whose checkpoint was made with different settings.
public struct ResumeMismatchError: Error, Equatable, CustomStringConvertible {
    /// The output folder.
    public var folder: String
    /// Every setting that differs, with both values.
    public var differences: [RunSettingsRecord.Difference]

    public init(folder: String, differences: [RunSettingsRecord.Difference]) {
        self.folder = folder
        self.differences = differences
    }

    public var description: String {
        "\(folder): its checkpoint was made with different settings, and resuming would mix two runs:\n"
            + differences.map { "  \($0)" }.joined(separator: "\n")
            + "\nRun again with the same settings to resume, pass --restart to start over, or choose another output folder."
    }
}
