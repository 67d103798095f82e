import DetoxFiles
import DetoxHub
import Foundation

/// What a recipe stage read, recorded in its `inputs.json` beside `stage.json` when it finishes,
/// so that `detox run` notices a data file edited or model weights replaced at the same path.
///
/// A Hub snapshot folder (`…/snapshots/<commit>`) is known by its commit; any other file by its
/// size and modification time and, when it is at most ``hashLimit`` bytes, the SHA-256 of its
/// content; a folder by each file below it.
struct StageInputs: Codable, Equatable {
    var inputs: [Input]

    /// One file or folder a stage read, under the role the log names it by ("training data").
    struct Input: Codable, Equatable {
        var role: String
        var path: String
        var hubCommit: String?
        var files: [FileIdentity]?
    }

    /// One regular file; `path` is relative to the input's folder (empty for a file input).
    struct FileIdentity: Codable, Equatable {
        var path: String
        var size: Int64
        var modified: Double
        var sha256: String?

        /// The same content: equal hashes when both were hashed, else the same size and time.
        func matches(_ other: FileIdentity) -> Bool {
            guard path == other.path, size == other.size else { return false }
            if let sha256, let theirs = other.sha256 { return sha256 == theirs }
            return modified == other.modified
        }
    }

    /// The largest file whose content is hashed; bigger ones are known by size and time.
    static let hashLimit: Int64 = 64 << 20
    /// The most files recorded below one folder input.
    static let fileLimit = 10_000
    static let fileName = "inputs.json"

    /// The identities of `inputs` (role, path) as they are now.
    init(reading inputs: [(role: String, url: URL)]) throws {
        self.inputs = try inputs.map { try Self.identify(role: $0.role, $0.url) }
    }

    static func identify(role: String, _ url: URL) throws -> Input {
        let path = url.standardizedFileURL.path
        if let commit = hubCommit(of: url) {
            return Input(role: role, path: path, hubCommit: commit, files: nil)
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw DetoxError.notFound(argument: path, reason: "is missing (the \(role) of a recipe stage)")
        }
        guard isFolder.boolValue else {
            return Input(role: role, path: path, hubCommit: nil, files: [try file(url, named: "")])
        }
        var files: [FileIdentity] = []
        let enumerator = FileManager.default.enumerator(
            at: url, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
        while let next = enumerator?.nextObject() as? URL {
            let resolved = next.resolvingSymlinksInPath()
            guard (try? resolved.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            guard files.count < fileLimit else {
                throw DetoxError.invalidSetting(
                    name: role, reason: "\(path) holds more than \(fileLimit) files; is it the right folder?")
            }
            let relative = String(next.standardizedFileURL.path.dropFirst(path.count + 1))
            files.append(try file(next, named: relative))
        }
        files.sort { $0.path < $1.path }
        return Input(role: role, path: path, hubCommit: nil, files: files)
    }

    /// The commit of a Hub cache snapshot folder (`models--org--name/snapshots/<40 hex>`).
    static func hubCommit(of url: URL) -> String? {
        let parts = url.standardizedFileURL.pathComponents
        guard parts.count >= 3, parts[parts.count - 2] == "snapshots",
            parts[parts.count - 3].contains("--"), let last = parts.last, last.count == 40,
            last.allSatisfy(\.isHexDigit)
        else { return nil }
        return last
    }

    static func file(_ url: URL, named name: String) throws -> FileIdentity {
        let resolved = url.resolvingSymlinksInPath()
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: resolved.path)
        } catch {
            throw DetoxError.notFound(argument: url.path, reason: "cannot be read: \(error.localizedDescription)")
        }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        var digest: String?
        if size <= hashLimit {
            do {
                digest = try SHA256.hex(ofFileAt: resolved)
            } catch {
                throw DetoxError.notFound(argument: url.path, reason: "cannot be read: \(error.localizedDescription)")
            }
        }
        return FileIdentity(path: name, size: size, modified: modified, sha256: digest)
    }

    /// The first input that differs from `recorded` (same role and path, other content), or one
    /// that was not there when the stage ran.
    func firstChange(since recorded: StageInputs) -> Input? {
        inputs.first { now in
            guard let then = recorded.inputs.first(where: { $0.role == now.role }) else { return true }
            guard now.path == then.path, now.hubCommit == then.hubCommit else { return true }
            let a = now.files ?? []
            let b = then.files ?? []
            return a.count != b.count || zip(a, b).contains { !$0.matches($1) }
        }
    }

    /// The record in `folder`: `nil` when there is none (a stage finished by an earlier release),
    /// an empty record (so every input counts as changed) when it cannot be read.
    static func recorded(in folder: URL) -> StageInputs? {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(fileName).path) else {
            return nil
        }
        return (try? JSONDecoder().decode(StageInputs.self, from: data)) ?? StageInputs(inputs: [])
    }

    init(inputs: [Input]) { self.inputs = inputs }

    /// Writes the record into `folder`.
    func write(to folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFileWriter.write([UInt8](try encoder.encode(self)), to: folder.appendingPathComponent(Self.fileName))
    }
}
