// Semantics of huggingface_hub 0.36 `_snapshot_download.py` (`snapshot_download`) and `hf_api.py`
// (`repo_info`), re-expressed in Swift; no code copied.

import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

// MARK: - HubClient + Snapshot

extension HubClient {
    /// The repository listing at `revision` (following redirects of renamed repositories).
    public func repoInfo(repo: RepoID, revision: String = "main") async throws -> RepoInfo {
        guard HubCache.isSafeRevision(revision) else {
            throw HubError.invalidRevision(repo: repo.description, revision: revision)
        }
        guard !offline else {
            throw HubError.snapshotNotCached(
                repo: repo.description, revision: revision,
                cachePath: cache.repoFolder(repo).path, reason: "offline mode")
        }
        guard let url = infoURL(repo: repo, revision: revision) else {
            throw HubError.invalidRepoID(repo.description, reason: "cannot form a URL")
        }
        var requestHeaders = headers(withToken: true)
        requestHeaders["Accept"] = "application/json"
        let response: HTTPResponse
        let body: Data
        do {
            (response, body) = try await retrying(
                { try await metadataTransport.get(url, headers: requestHeaders) },
                status: { $0.0.status })
        } catch let failure as TransportFailure {
            throw HubError.network(repo: repo.description, file: nil, url: url.absoluteString, reason: failure.reason)
        }
        guard (200...299).contains(response.status) else {
            throw statusError(response, repo: repo, file: nil, revision: revision, url: response.url)
        }
        let info: RepoInfo
        do {
            info = try JSONDecoder().decode(RepoInfo.self, from: body)
        } catch {
            throw HubError.invalidResponse(
                repo: repo.description, url: url.absoluteString,
                reason: "repository listing is not the expected JSON (\(error))")
        }
        guard HubCache.isCommitHash(info.sha) else {
            throw HubError.unsafeServerValue(repo: repo.description, name: "commit (sha)", value: info.sha)
        }
        return info
    }

    /// Downloads the files of `repo` at `revision` that are not cached yet and returns the
    /// snapshot folder `snapshots/<commit>/` (huggingface_hub `snapshot_download`).
    ///
    /// - Parameters:
    ///   - allowPatterns: glob patterns of files to fetch (`*.json`, `spiece.model`, `onnx/`);
    ///     `nil` takes `FileSelection.defaultModelFiles` for a model (configuration, tokenizer and
    ///     one weights format, safetensors first) and every file for a dataset or space.
    ///   - ignorePatterns: glob patterns of files to skip.
    /// - Offline, or when the listing cannot be fetched (no network, 5xx, 401), the cached
    ///   snapshot folder of the revision is returned if there is one.
    @discardableResult
    public func snapshot(
        repo: RepoID, revision: String = "main", allowPatterns: [String]? = nil,
        ignorePatterns: [String] = [], progress: HubProgressHandler? = nil
    ) async throws -> URL {
        let info: RepoInfo
        do {
            info = try await repoInfo(repo: repo, revision: revision)
        } catch let error as HubError {
            switch error {
            case .revisionNotFound, .invalidRevision, .unsafeServerValue, .invalidResponse, .invalidRepoID:
                throw error
            default:
                if let commit = cache.commit(for: repo, revision: revision) {
                    let folder = cache.snapshotFolder(repo, commit: commit)
                    var isFolder: ObjCBool = false
                    if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder),
                        isFolder.boolValue
                    {
                        if !offline {
                            warn?(
                                "\(error.fallbackReason); using the cached snapshot \(commit) of \(repo) (\(revision))")
                        }
                        return folder
                    }
                }
                if case .snapshotNotCached = error { throw error }
                if case .network(_, _, _, let reason) = error {
                    throw HubError.snapshotNotCached(
                        repo: repo.description, revision: revision,
                        cachePath: cache.repoFolder(repo).path, reason: reason)
                }
                throw error
            }
        }

        let files = info.files
        for file in files { _ = try RepoPath(file, repo: repo) }
        let selected: [String]
        if let allowPatterns {
            selected = FileSelection.filter(files, allow: allowPatterns, ignore: ignorePatterns)
        } else if repo.kind == .model {
            selected = FileSelection.filter(
                FileSelection.defaultModelFiles(in: files), allow: nil,
                ignore: ignorePatterns)
        } else {
            selected = FileSelection.filter(files, allow: nil, ignore: ignorePatterns)
        }

        let commit = info.sha.lowercased()
        try cache.writeRef(repo, revision: revision, commit: commit)
        for file in selected {
            _ = try await self.file(repo: repo, path: file, revision: commit, progress: progress)
        }
        let folder = cache.snapshotFolder(repo, commit: commit)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw HubError.cacheIO(path: folder.path, reason: error.localizedDescription)
        }
        return folder
    }
}

// MARK: - HubClient + Local folders

extension HubClient {
    /// What a `--model` or `--dataset` argument names: an existing local folder is used as is;
    /// anything else is a Hub id (`org/name`, `datasets/org/name`) whose snapshot is fetched
    /// (or found in the cache) and returned.
    public func folder(
        for argument: String, kind: RepoKind = .model, revision: String = "main",
        allowPatterns: [String]? = nil, progress: HubProgressHandler? = nil
    ) async throws -> URL {
        var isFolder: ObjCBool = false
        let expanded = (argument as NSString).expandingTildeInPath
        if FileManager.default.fileExists(atPath: expanded, isDirectory: &isFolder), isFolder.boolValue {
            return URL(fileURLWithPath: expanded, isDirectory: true)
        }
        var repo = try RepoID(parsing: argument)
        if kind != .model, repo.kind == .model, !argument.hasPrefix("models/") {
            repo = try RepoID(kind: kind, id: repo.id)
        }
        return try await snapshot(repo: repo, revision: revision, allowPatterns: allowPatterns, progress: progress)
    }
}
