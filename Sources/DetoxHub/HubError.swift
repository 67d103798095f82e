// MARK: - HubError

/// Errors raised while resolving, downloading or reading files of a Hugging Face Hub repository.
///
/// Every case names what a user needs to act on it: the repository, the file, the URL asked for,
/// the HTTP status, the cache path looked in. No case ever carries the access token: URLs are
/// shown without their query string (signed CDN URLs carry credentials there) and request headers
/// are never recorded.
public enum HubError: Error, Equatable, Sendable, CustomStringConvertible {
    // MARK: Input

    /// A repository id is not of the form `name`, `org/name` or `datasets/org/name`.
    case invalidRepoID(String, reason: String)
    /// A file path in a repository is empty, absolute, or would leave the snapshot folder
    /// (`..` components, empty components, a backslash, a NUL byte).
    case invalidFilePath(repo: String, path: String, reason: String)
    /// A revision (branch, tag, commit) that cannot be used as a path under `refs/`.
    case invalidRevision(repo: String, revision: String)

    // MARK: Cache and offline

    /// The file is not in the cache and no request may be made (`HF_HUB_OFFLINE`, or the client
    /// was made with `offline: true`). `cachePath` is where it was looked for.
    case offlineFileMissing(repo: String, file: String, revision: String, cachePath: String)
    /// The server could not be reached (or answered with a server error) and the file is not in
    /// the cache. `cachePath` is where it was looked for; `reason` is the network failure.
    case fileNotCached(repo: String, file: String, revision: String, url: String, cachePath: String, reason: String)
    /// A snapshot folder for the revision is not in the cache and no listing could be fetched.
    case snapshotNotCached(repo: String, revision: String, cachePath: String, reason: String)
    /// Reading or writing the cache failed.
    case cacheIO(path: String, reason: String)
    /// Another process held the download lock for longer than the client waits.
    case lockTimeout(path: String, seconds: Double)

    // MARK: HTTP

    /// The server refused the request: 401 or 403 (private or gated repository, bad token).
    /// `tokenSent` says whether an `authorization` header was sent; the token itself never is
    /// part of the error.
    case unauthorized(repo: String, file: String?, url: String, status: Int, tokenSent: Bool)
    /// The repository does not exist (or is private and no valid token was sent).
    case repositoryNotFound(repo: String, url: String, status: Int)
    /// The revision does not exist in the repository.
    case revisionNotFound(repo: String, revision: String, url: String, status: Int)
    /// The file does not exist at that revision.
    case entryNotFound(repo: String, file: String, revision: String, url: String, status: Int)
    /// Any other unexpected HTTP status.
    case httpStatus(repo: String, file: String?, url: String, status: Int, message: String)
    /// A request failed below HTTP (connection refused, dropped, timed out).
    case network(repo: String, file: String?, url: String, reason: String)
    /// More redirects than the client follows.
    case tooManyRedirects(repo: String, url: String)

    // MARK: Response content

    /// A header the protocol needs (`X-Repo-Commit`, `ETag`, `Content-Length`) is missing.
    case missingHeader(repo: String, file: String, url: String, header: String)
    /// A value from the server cannot be used safely as a cache path component (a commit that is
    /// not 40 hex digits, an etag with a `/`).
    case unsafeServerValue(repo: String, name: String, value: String)
    /// A response body could not be decoded (the repository listing JSON).
    case invalidResponse(repo: String, url: String, reason: String)
    /// The download was interrupted; `incompletePath` keeps the bytes received so far and the next
    /// call resumes from there with a `Range` request.
    case downloadInterrupted(
        repo: String, file: String, url: String, receivedBytes: Int64,
        expectedBytes: Int64, incompletePath: String, reason: String)
    /// The downloaded file has a different size than the server announced.
    case sizeMismatch(repo: String, file: String, expected: Int64, actual: Int64, path: String)
    /// The downloaded LFS file's SHA-256 differs from its etag. The partial file was removed.
    case checksumMismatch(repo: String, file: String, expected: String, actual: String, path: String)

    // MARK: - Description

    /// A one-line message naming the repository, file, URL (without query) and cache path.
    public var description: String {
        switch self {
        case .invalidRepoID(let id, let reason):
            return "invalid repository id '\(id)': \(reason)"
        case .invalidFilePath(let repo, let path, let reason):
            return "refusing file path '\(path)' in \(repo): \(reason)"
        case .invalidRevision(let repo, let revision):
            return "invalid revision '\(revision)' for \(repo)"
        case .offlineFileMissing(let repo, let file, let revision, let cachePath):
            return "offline mode: '\(file)' of \(repo) (revision \(revision)) is not in the cache; "
                + "looked for it at \(cachePath). Download it once with network access "
                + "(`detox download \(repo)`) or unset HF_HUB_OFFLINE."
        case .fileNotCached(let repo, let file, let revision, let url, let cachePath, let reason):
            return "cannot reach \(HubError.redact(url)) (\(reason)) and '\(file)' of \(repo) "
                + "(revision \(revision)) is not in the cache at \(cachePath)"
        case .snapshotNotCached(let repo, let revision, let cachePath, let reason):
            return "no cached snapshot of \(repo) at revision \(revision) in \(cachePath) (\(reason))"
        case .cacheIO(let path, let reason):
            return "cache I/O error at \(path): \(reason)"
        case .lockTimeout(let path, let seconds):
            return "gave up waiting \(seconds) s for the download lock \(path) held by another process"
        case .unauthorized(let repo, let file, let url, let status, let tokenSent):
            let what = file.map { "'\($0)' of \(repo)" } ?? repo
            let hint =
                tokenSent
                ? "the token sent was refused (check HF_TOKEN and that it grants access)"
                : "no token was sent; set HF_TOKEN or write one to $HF_HOME/token"
            return "HTTP \(status) for \(what) at \(HubError.redact(url)): the repository is private, "
                + "gated or does not exist; \(hint)"
        case .repositoryNotFound(let repo, let url, let status):
            return "repository \(repo) not found (HTTP \(status) at \(HubError.redact(url)))"
        case .revisionNotFound(let repo, let revision, let url, let status):
            return "revision '\(revision)' of \(repo) not found (HTTP \(status) at \(HubError.redact(url)))"
        case .entryNotFound(let repo, let file, let revision, let url, let status):
            return "file '\(file)' not found in \(repo) at revision \(revision) "
                + "(HTTP \(status) at \(HubError.redact(url)))"
        case .httpStatus(let repo, let file, let url, let status, let message):
            let what = file.map { "'\($0)' of \(repo)" } ?? repo
            return "HTTP \(status) for \(what) at \(HubError.redact(url))"
                + (message.isEmpty ? "" : ": \(message)")
        case .network(let repo, let file, let url, let reason):
            let what = file.map { "'\($0)' of \(repo)" } ?? repo
            return "network error for \(what) at \(HubError.redact(url)): \(reason)"
        case .tooManyRedirects(let repo, let url):
            return "too many redirects for \(repo) starting at \(HubError.redact(url))"
        case .missingHeader(let repo, let file, let url, let header):
            return "response for '\(file)' of \(repo) at \(HubError.redact(url)) lacks the \(header) header"
        case .unsafeServerValue(let repo, let name, let value):
            return "server sent an unusable \(name) '\(value)' for \(repo)"
        case .invalidResponse(let repo, let url, let reason):
            return "unreadable response for \(repo) at \(HubError.redact(url)): \(reason)"
        case .downloadInterrupted(
            let repo, let file, let url, let received, let expected, let incompletePath, let reason):
            return "download of '\(file)' of \(repo) from \(HubError.redact(url)) interrupted after "
                + "\(received) of \(expected) bytes (\(reason)); kept in \(incompletePath), "
                + "the next attempt resumes"
        case .sizeMismatch(let repo, let file, let expected, let actual, let path):
            return "'\(file)' of \(repo) should be \(expected) bytes but \(actual) arrived (\(path))"
        case .checksumMismatch(let repo, let file, let expected, let actual, let path):
            return "'\(file)' of \(repo) has SHA-256 \(actual), expected \(expected); removed \(path)"
        }
    }

    // MARK: - Redaction

    /// The URL without its query and fragment: signed CDN URLs carry credentials in the query.
    static func redact(_ url: String) -> String {
        var end = url.endIndex
        if let q = url.firstIndex(where: { $0 == "?" || $0 == "#" }) { end = q }
        return String(url[..<end])
    }
}

extension HubError {
    /// Why the cache answered instead of the server, for the fallback warning.
    var fallbackReason: String {
        switch self {
        case .network(_, _, let url, let reason): return "no answer from \(url) (\(reason))"
        case .httpStatus(_, _, let url, let status, _), .unauthorized(_, _, let url, let status, _):
            return "\(url) answered HTTP \(status)"
        default: return description
        }
    }
}
