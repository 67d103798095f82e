import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// MARK: - HubCache

/// The Hugging Face Hub cache folder (`HF_HUB_CACHE`), laid out exactly as Python's
/// huggingface_hub lays it out (`file_download.py`), so either side reuses the other's files:
///
/// ```
/// <root>/models--org--name/blobs/<etag>                     file content
/// <root>/models--org--name/refs/<revision>                  commit sha, no trailing newline
/// <root>/models--org--name/snapshots/<commit>/<path>        relative symlink → ../../blobs/<etag>
/// <root>/models--org--name/.no_exist/<commit>/<path>        empty marker: known to be absent
/// <root>/.locks/models--org--name/<etag>.lock               flock while downloading
/// ```
public struct HubCache: Sendable, Hashable {
    /// The cache root (`HF_HUB_CACHE`, by default `~/.cache/huggingface/hub`).
    public let root: URL
    /// Copy files into snapshots instead of symlinking (`HF_HUB_DISABLE_SYMLINKS`, or a file
    /// system without symlinks). Symlinks are also skipped automatically when creating one fails.
    public let disableSymlinks: Bool

    /// A cache rooted at `root`.
    public init(root: URL, disableSymlinks: Bool = false) {
        self.root = root.standardizedFileURL
        self.disableSymlinks = disableSymlinks
    }

    // MARK: - Paths

    /// `<root>/models--org--name`.
    public func repoFolder(_ repo: RepoID) -> URL {
        root.appendingPathComponent(repo.folderName, isDirectory: true)
    }

    /// `<repo folder>/blobs/<etag>`.
    func blobPath(_ repo: RepoID, etag: String) -> URL {
        repoFolder(repo).appendingPathComponent("blobs", isDirectory: true).appendingPathComponent(etag)
    }

    /// `<root>/.locks/<repo folder>/<etag>.lock`.
    func lockPath(_ repo: RepoID, etag: String) -> URL {
        root.appendingPathComponent(".locks", isDirectory: true)
            .appendingPathComponent(repo.folderName, isDirectory: true)
            .appendingPathComponent(etag + ".lock")
    }

    /// `<repo folder>/refs/<revision>` (a revision such as `refs/pr/1` nests).
    func refPath(_ repo: RepoID, revision: String) -> URL {
        var url = repoFolder(repo).appendingPathComponent("refs", isDirectory: true)
        for part in revision.split(separator: "/") { url.appendPathComponent(String(part)) }
        return url
    }

    /// `<repo folder>/snapshots/<commit>`.
    func snapshotFolder(_ repo: RepoID, commit: String) -> URL {
        repoFolder(repo).appendingPathComponent("snapshots", isDirectory: true)
            .appendingPathComponent(commit, isDirectory: true)
    }

    /// `<repo folder>/snapshots/<commit>/<path>` for an already validated relative path.
    func pointerPath(_ repo: RepoID, commit: String, path: RepoPath) -> URL {
        var url = snapshotFolder(repo, commit: commit)
        for part in path.components { url.appendPathComponent(part) }
        return url
    }

    /// `<repo folder>/.no_exist/<commit>/<path>`.
    func noExistPath(_ repo: RepoID, commit: String, path: RepoPath) -> URL {
        var url = repoFolder(repo).appendingPathComponent(".no_exist", isDirectory: true)
            .appendingPathComponent(commit, isDirectory: true)
        for part in path.components { url.appendPathComponent(part) }
        return url
    }

    // MARK: - Lookup

    /// The commit a revision points to in the cache: a 40-hex revision is itself, a branch or tag
    /// is read from `refs/<revision>`; `nil` when unknown.
    public func commit(for repo: RepoID, revision: String) -> String? {
        if HubCache.isCommitHash(revision) { return revision }
        guard HubCache.isSafeRevision(revision) else { return nil }
        guard let text = try? String(contentsOf: refPath(repo, revision: revision), encoding: .utf8) else {
            return nil
        }
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return HubCache.isCommitHash(commit) ? commit : nil
    }

    /// Where a file of a repository is (or would be) in the cache, without any request.
    public func cachedFile(repo: RepoID, path: String, revision: String = "main") throws -> CachedFile {
        let relative = try RepoPath(path, repo: repo)
        guard let commit = commit(for: repo, revision: revision) else { return .notCached }
        if FileManager.default.fileExists(atPath: noExistPath(repo, commit: commit, path: relative).path) {
            return .knownMissing
        }
        let pointer = pointerPath(repo, commit: commit, path: relative)
        var isFolder: ObjCBool = false
        // `fileExists` follows symlinks: a dangling pointer (blob deleted) is not a cached file.
        if FileManager.default.fileExists(atPath: pointer.path, isDirectory: &isFolder), !isFolder.boolValue {
            return .file(pointer)
        }
        return .notCached
    }

    /// The path a lookup of `path` at `revision` would hit, for error messages: the snapshot
    /// pointer when the revision's commit is known, else `refs/<revision>` that is missing.
    func lookupDescription(repo: RepoID, path: RepoPath, revision: String) -> String {
        if let commit = commit(for: repo, revision: revision) {
            return pointerPath(repo, commit: commit, path: path).path
        }
        if HubCache.isSafeRevision(revision) {
            return refPath(repo, revision: revision).path + " (no such ref) for snapshots/<commit>/" + path.string
        }
        return repoFolder(repo).path
    }

    // MARK: - Writing

    /// Records `revision → commit` in `refs/`, atomically and without a trailing newline, unless
    /// the revision is the commit itself or the ref already says so.
    func writeRef(_ repo: RepoID, revision: String, commit: String) throws {
        guard revision != commit else { return }
        let path = refPath(repo, revision: revision)
        if let existing = try? String(contentsOf: path, encoding: .utf8), existing == commit { return }
        try HubCache.atomicWrite(Data(commit.utf8), to: path)
    }

    /// Touches the `.no_exist` marker for a file the server says is absent at `commit`.
    func markMissing(_ repo: RepoID, commit: String, path: RepoPath) {
        let marker = noExistPath(repo, commit: commit, path: path)
        try? FileManager.default.createDirectory(
            at: marker.deletingLastPathComponent(),
            withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: marker.path) {
            _ = FileManager.default.createFile(atPath: marker.path, contents: Data())
        }
    }

    /// Makes `pointer` refer to `blob`: a relative symlink (`../../blobs/<etag>`, one more `../`
    /// per folder level of the path), or a copy (a move for a fresh blob, as huggingface_hub does)
    /// when symlinks are disabled or refused.
    func link(pointer: URL, blob: URL, depth: Int, newBlob: Bool) throws {
        let fm = FileManager.default
        let folder = pointer.deletingLastPathComponent()
        do {
            try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw HubError.cacheIO(path: folder.path, reason: error.localizedDescription)
        }
        let temporary = folder.appendingPathComponent(".\(pointer.lastPathComponent).\(UUID().uuidString).tmp")
        if !disableSymlinks {
            // snapshots/<commit>/<a>/<b>/<file>: up `depth` folders to the commit, then 2 more.
            let target = String(repeating: "../", count: depth + 2) + "blobs/" + blob.lastPathComponent
            if symlink(target, temporary.path) == 0 {
                if rename(temporary.path, pointer.path) == 0 { return }
                let reason = String(cString: strerror(errno))
                unlink(temporary.path)
                throw HubError.cacheIO(path: pointer.path, reason: "cannot place symlink: \(reason)")
            }
            // Symlinks refused by the file system: fall through to a copy.
        }
        do {
            if newBlob {
                try? fm.removeItem(at: pointer)
                try fm.moveItem(at: blob, to: pointer)
            } else {
                try fm.copyItem(at: blob, to: temporary)
                guard rename(temporary.path, pointer.path) == 0 else {
                    let reason = String(cString: strerror(errno))
                    try? fm.removeItem(at: temporary)
                    throw HubError.cacheIO(path: pointer.path, reason: reason)
                }
            }
        } catch let error as HubError {
            throw error
        } catch {
            throw HubError.cacheIO(path: pointer.path, reason: error.localizedDescription)
        }
    }

    /// Writes `data` to a temporary file beside `url`, syncs and renames it into place.
    static func atomicWrite(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try data.write(to: temporary)
        } catch {
            throw HubError.cacheIO(path: url.path, reason: error.localizedDescription)
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw HubError.cacheIO(path: url.path, reason: reason)
        }
    }

    // MARK: - Validation

    /// 40 hex digits (huggingface_hub `REGEX_COMMIT_HASH`).
    public static func isCommitHash(_ text: String) -> Bool {
        text.utf8.count == 40 && text.utf8.allSatisfy(isHexDigit)
    }

    /// 64 hex digits: the etag of an LFS file, its SHA-256.
    static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy(isHexDigit)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 97 && byte <= 102) || (byte >= 65 && byte <= 70)
    }

    /// A revision usable under `refs/`: non-empty components, no `.`/`..`, no backslash or NUL.
    static func isSafeRevision(_ revision: String) -> Bool {
        guard !revision.isEmpty, !revision.hasPrefix("/"), !revision.contains("\\"),
            !revision.contains("\0")
        else { return false }
        return revision.split(separator: "/", omittingEmptySubsequences: false)
            .allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    /// An etag usable as a blob file name: one path component made of safe characters.
    static func isSafeEtag(_ etag: String) -> Bool {
        guard !etag.isEmpty, etag.utf8.count <= 200, etag != ".", etag != ".." else { return false }
        return etag.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".", "+", "=": return true
            default: return false
            }
        }
    }
}
