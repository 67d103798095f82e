// Semantics of huggingface_hub 0.36 `file_download.py` (`hf_hub_download`, `_hf_hub_download_to_cache_dir`,
// `get_hf_file_metadata`, `http_get`, `_create_symlink`), re-expressed for URLSession; no code copied.

import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// MARK: - HubClient + File

extension HubClient {
    /// The local path of `path` in `repo` at `revision`, downloading it only when the cache does
    /// not have it yet. The returned URL is inside `snapshots/<commit>/` of the cache (a symlink
    /// to the blob, or a copy when symlinks are off).
    ///
    /// - A 40-hex `revision` whose file is cached returns without any request.
    /// - Offline, the cache alone answers (`refs/<revision>` → commit → snapshot file), and a
    ///   missing file is `HubError.offlineFileMissing` naming the file and the path looked at.
    /// - When the server cannot be reached (or fails with 5xx, 401, 403) the cached copy of the
    ///   revision is returned if there is one.
    /// - `path` must stay inside the snapshot: absolute paths and `..` are refused before any
    ///   request.
    public func file(
        repo: RepoID, path: String, revision: String = "main",
        progress: HubProgressHandler? = nil
    ) async throws -> URL {
        let relative = try RepoPath(path, repo: repo)
        guard HubCache.isSafeRevision(revision) else {
            throw HubError.invalidRevision(repo: repo.description, revision: revision)
        }

        // A commit hash whose file is already there: no request at all.
        if HubCache.isCommitHash(revision) {
            let pointer = cache.pointerPath(repo, commit: revision, path: relative)
            if FileManager.default.fileExists(atPath: pointer.path) { return pointer }
        }
        if offline {
            if case .file(let url) = try cache.cachedFile(repo: repo, path: path, revision: revision) { return url }
            throw HubError.offlineFileMissing(
                repo: repo.description, file: path, revision: revision,
                cachePath: cache.lookupDescription(
                    repo: repo, path: relative,
                    revision: revision))
        }

        guard let url = resolveURL(repo: repo, path: path, revision: revision) else {
            throw HubError.invalidFilePath(repo: repo.description, path: path, reason: "cannot form a URL")
        }
        let metadata: FileMetadata
        do {
            metadata = try await fileMetadata(repo: repo, path: relative, revision: revision, url: url)
        } catch let error as HubError {
            switch error {
            case .entryNotFound, .revisionNotFound, .unsafeServerValue, .invalidFilePath:
                throw error
            default:
                // Server unreachable or refusing: fall back on the cache as huggingface_hub does.
                if case .file(let cached) = try cache.cachedFile(repo: repo, path: path, revision: revision) {
                    warn?("\(error.fallbackReason); using the cached \(path) of \(repo) (\(revision))")
                    return cached
                }
                if case .network(_, _, let failedURL, let reason) = error {
                    throw HubError.fileNotCached(
                        repo: repo.description, file: path, revision: revision,
                        url: failedURL,
                        cachePath: cache.lookupDescription(
                            repo: repo, path: relative, revision: revision),
                        reason: reason)
                }
                if case .httpStatus(_, _, let failedURL, let status, _) = error, status >= 500 {
                    throw HubError.fileNotCached(
                        repo: repo.description, file: path, revision: revision,
                        url: failedURL,
                        cachePath: cache.lookupDescription(
                            repo: repo, path: relative, revision: revision),
                        reason: "HTTP \(status)")
                }
                throw error
            }
        }

        let blob = cache.blobPath(repo, etag: metadata.etag)
        let pointer = cache.pointerPath(repo, commit: metadata.commit, path: relative)
        try cache.writeRef(repo, revision: revision, commit: metadata.commit)
        if FileManager.default.fileExists(atPath: pointer.path) { return pointer }

        let lock = FileLock(path: cache.lockPath(repo, etag: metadata.etag).path)
        return try await lock.withLock(timeout: lockTimeout) {
            if FileManager.default.fileExists(atPath: pointer.path) { return pointer }
            if FileManager.default.fileExists(atPath: blob.path) {
                try cache.link(pointer: pointer, blob: blob, depth: relative.depth, newBlob: false)
                return pointer
            }
            try await download(
                repo: repo, path: path, metadata: metadata, originalURL: url, blob: blob,
                progress: progress)
            try cache.link(pointer: pointer, blob: blob, depth: relative.depth, newBlob: true)
            return pointer
        }
    }

    // MARK: - Metadata

    /// `HEAD` the resolve URL following only relative redirects (huggingface_hub
    /// `get_hf_file_metadata`), and check every value that becomes a path.
    func fileMetadata(repo: RepoID, path: RepoPath, revision: String, url: URL) async throws -> FileMetadata {
        var current = url
        for _ in 0..<10 {
            let response: HTTPResponse
            do {
                let target = current
                response = try await retrying(
                    { try await metadataTransport.head(target, headers: headers(withToken: true)) },
                    status: \.status)
            } catch let failure as TransportFailure {
                throw HubError.network(
                    repo: repo.description, file: path.string, url: current.absoluteString,
                    reason: failure.reason)
            }
            if (300...399).contains(response.status), let location = response.header("Location") {
                if let next = HubClient.relativeRedirect(location, from: current) {
                    current = next
                    continue
                }
                guard let absolute = URL(string: location) else {
                    throw HubError.invalidResponse(
                        repo: repo.description, url: current.absoluteString,
                        reason: "unreadable Location header")
                }
                return try readMetadata(response, repo: repo, path: path, url: current, location: absolute)
            }
            guard (200...299).contains(response.status) else {
                let error = statusError(response, repo: repo, file: path, revision: revision, url: current)
                if case .entryNotFound = error, let commit = response.header("X-Repo-Commit"),
                    HubCache.isCommitHash(commit)
                {
                    // Remember the absence, as huggingface_hub does (`.no_exist/<commit>/<path>`).
                    cache.markMissing(repo, commit: commit.lowercased(), path: path)
                    try? cache.writeRef(repo, revision: revision, commit: commit.lowercased())
                }
                throw error
            }
            return try readMetadata(response, repo: repo, path: path, url: current, location: current)
        }
        throw HubError.tooManyRedirects(repo: repo.description, url: url.absoluteString)
    }

    /// The target of a relative `Location` (no scheme and host): the same origin with the new
    /// path, as huggingface_hub's `_request_wrapper(follow_relative_redirects=True)`; `nil` for an
    /// absolute one.
    static func relativeRedirect(_ location: String, from url: URL) -> URL? {
        guard let target = URLComponents(string: location), target.host == nil, target.scheme == nil,
            var components = URLComponents(url: url, resolvingAgainstBaseURL: true)
        else { return nil }
        components.percentEncodedPath = target.percentEncodedPath
        components.percentEncodedQuery = target.percentEncodedQuery
        return components.url
    }

    func readMetadata(
        _ response: HTTPResponse, repo: RepoID, path: RepoPath, url: URL,
        location: URL
    ) throws -> FileMetadata {
        func missing(_ header: String) -> HubError {
            HubError.missingHeader(repo: repo.description, file: path.string, url: url.absoluteString, header: header)
        }
        guard let commit = response.header("X-Repo-Commit") else { throw missing("X-Repo-Commit") }
        guard HubCache.isCommitHash(commit) else {
            throw HubError.unsafeServerValue(repo: repo.description, name: "commit (X-Repo-Commit)", value: commit)
        }
        guard let rawEtag = response.header("X-Linked-Etag") ?? response.header("ETag") else {
            throw missing("ETag")
        }
        let etag = HubClient.normalizeEtag(rawEtag)
        guard HubCache.isSafeEtag(etag) else {
            throw HubError.unsafeServerValue(repo: repo.description, name: "etag", value: rawEtag)
        }
        guard let sizeText = response.header("X-Linked-Size") ?? response.header("Content-Length"),
            let size = Int64(sizeText.trimmingCharacters(in: .whitespaces)), size >= 0
        else {
            throw missing("Content-Length")
        }
        return FileMetadata(commit: commit.lowercased(), etag: etag, size: size, location: location)
    }

    /// huggingface_hub `_normalize_etag`: drop a leading `W/` and surrounding quotes.
    static func normalizeEtag(_ etag: String) -> String {
        var text = Substring(etag.trimmingCharacters(in: .whitespaces))
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        return String(text).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    /// Maps an error status to `HubError` (huggingface_hub `hf_raise_for_status`, `X-Error-Code`).
    func statusError(_ response: HTTPResponse, repo: RepoID, file: RepoPath?, revision: String, url: URL) -> HubError {
        let code = response.header("X-Error-Code")
        let shown = url.absoluteString
        switch (response.status, code) {
        case (_, "RevisionNotFound"):
            return .revisionNotFound(repo: repo.description, revision: revision, url: shown, status: response.status)
        case (_, "EntryNotFound"):
            return .entryNotFound(
                repo: repo.description, file: file?.string ?? "", revision: revision, url: shown,
                status: response.status)
        case (401, _), (403, _):
            return .unauthorized(
                repo: repo.description, file: file?.string, url: shown, status: response.status,
                tokenSent: token != nil)
        case (_, "RepoNotFound"):
            return .repositoryNotFound(repo: repo.description, url: shown, status: response.status)
        case (404, _):
            if let file {
                return .entryNotFound(
                    repo: repo.description, file: file.string, revision: revision, url: shown,
                    status: 404)
            }
            return .repositoryNotFound(repo: repo.description, url: shown, status: 404)
        default:
            return .httpStatus(
                repo: repo.description, file: file?.string, url: shown, status: response.status,
                message: response.header("X-Error-Message") ?? "")
        }
    }

    // MARK: - Download

    /// Fills `blob` from `metadata.location` through `blob.incomplete`: resumes what an earlier
    /// attempt left, retries a broken transfer up to `downloadAttempts` times, checks size and
    /// (LFS) SHA-256, then renames into place. Runs under the blob's lock.
    private func download(
        repo: RepoID, path: String, metadata: FileMetadata, originalURL: URL, blob: URL,
        progress: HubProgressHandler?
    ) async throws {
        let fm = FileManager.default
        let incomplete = URL(fileURLWithPath: blob.path + ".incomplete")
        do {
            try fm.createDirectory(at: blob.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw HubError.cacheIO(path: blob.deletingLastPathComponent().path, reason: error.localizedDescription)
        }
        // A CDN gets a signed URL, never the token (huggingface_hub pops `authorization`).
        let sendToken = HubClient.sameOrigin(metadata.location, originalURL)
        let total = metadata.size
        var report: (@Sendable (Int64) -> Void)?
        if let progress {
            report = { @Sendable done in progress(path, done, total) }
        }

        var attempt = 0
        while true {
            var offset = HubClient.fileSize(incomplete) ?? 0
            if offset > total {
                try? fm.removeItem(at: incomplete)
                offset = 0
            }
            if offset == total, total > 0 || fm.fileExists(atPath: incomplete.path) { break }
            report?(offset)
            do {
                let (response, _) = try await transport.download(
                    metadata.location,
                    headers: headers(withToken: sendToken),
                    to: incomplete, offset: offset, progress: report)
                if response.status == 416 {
                    // The range no longer fits (the file changed): start over once.
                    try? fm.removeItem(at: incomplete)
                    attempt += 1
                    if attempt < downloadAttempts { continue }
                }
                guard (200...299).contains(response.status) else {
                    throw statusError(
                        response, repo: repo, file: try RepoPath(path, repo: repo),
                        revision: metadata.commit, url: response.url)
                }
                break
            } catch let failure as TransportFailure {
                attempt += 1
                switch failure.kind {
                case .write:
                    throw HubError.cacheIO(path: incomplete.path, reason: failure.reason)
                case .tooManyRedirects:
                    throw HubError.tooManyRedirects(repo: repo.description, url: metadata.location.absoluteString)
                case .badRange:
                    // The server resumed at the wrong byte: start over.
                    try? fm.removeItem(at: incomplete)
                    if attempt < downloadAttempts { continue }
                case .network:
                    if attempt < downloadAttempts { continue }
                }
                throw HubError.downloadInterrupted(
                    repo: repo.description, file: path,
                    url: metadata.location.absoluteString,
                    receivedBytes: HubClient.fileSize(incomplete) ?? 0,
                    expectedBytes: total, incompletePath: incomplete.path,
                    reason: failure.reason)
            }
        }

        let actual = HubClient.fileSize(incomplete) ?? 0
        guard actual == total else {
            if actual > total { try? fm.removeItem(at: incomplete) }
            throw HubError.sizeMismatch(
                repo: repo.description, file: path, expected: total, actual: actual,
                path: incomplete.path)
        }
        if HubCache.isSHA256(metadata.etag) {
            let digest: String
            do {
                digest = try SHA256.hex(ofFileAt: incomplete)
            } catch {
                throw HubError.cacheIO(path: incomplete.path, reason: error.localizedDescription)
            }
            guard digest == metadata.etag.lowercased() else {
                try? fm.removeItem(at: incomplete)
                throw HubError.checksumMismatch(
                    repo: repo.description, file: path, expected: metadata.etag,
                    actual: digest, path: incomplete.path)
            }
        }
        guard rename(incomplete.path, blob.path) == 0 else {
            throw HubError.cacheIO(path: blob.path, reason: String(cString: strerror(errno)))
        }
        report?(total)
    }

    /// Size of a regular file, `nil` when absent.
    static func fileSize(_ url: URL) -> Int64? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
            let size = attributes[.size] as? NSNumber
        else { return nil }
        return size.int64Value
    }
}
