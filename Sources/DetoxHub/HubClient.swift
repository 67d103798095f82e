import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

// MARK: - HubProgressHandler

/// Download progress: the repository file, bytes in the cache so far (a resumed download starts
/// above 0) and the file's full size. Called from a background queue.
public typealias HubProgressHandler = @Sendable (_ file: String, _ bytesDone: Int64, _ bytesTotal: Int64) -> Void

// MARK: - HubClient

/// Downloads files of Hugging Face Hub repositories into the cache layout Python's
/// huggingface_hub uses (`HubCache`), so a file fetched by either is reused by the other.
///
/// ```swift
/// let hub = HubClient.fromEnvironment()          // HF_ENDPOINT, HF_HUB_CACHE, HF_TOKEN, HF_HUB_OFFLINE
/// let config = try await hub.file(repo: RepoID(parsing: "google-t5/t5-small"), path: "config.json")
/// let folder = try await hub.snapshot(repo: RepoID(parsing: "google-t5/t5-small"))
/// ```
///
/// Follows huggingface_hub `file_download.py`: a `HEAD` on `/resolve/<rev>/<file>` that follows
/// only relative redirects (a renamed repository) gives the commit (`X-Repo-Commit`), the etag
/// (`X-Linked-Etag` or `ETag`) and the size (`X-Linked-Size` or `Content-Length`); a `GET` of the
/// location (following redirects, to a CDN without the token) fills `blobs/<etag>.incomplete`,
/// resumed with `Range` after an interruption, checked for size and, for LFS files whose etag is
/// a SHA-256, for content, then renamed to `blobs/<etag>` under a `.locks/` file lock; the
/// snapshot entry is a relative symlink to the blob. Offline, or when the server cannot be
/// reached, the cache answers alone.
public final class HubClient: Sendable {
    /// The Hub's base URL (`HF_ENDPOINT`).
    public let endpoint: URL
    /// The cache the client reads and fills.
    public let cache: HubCache
    /// When true no request is ever made (`HF_HUB_OFFLINE`).
    public let offline: Bool
    /// How many times one call tries a download that breaks off, resuming each time.
    public let downloadAttempts: Int
    /// Seconds to wait for another process's download lock.
    public let lockTimeout: Double
    /// Extra tries of a metadata or listing request after a 500/502/503/504 or a timeout
    /// (huggingface_hub `http_backoff`), waiting `retryDelay`, then twice as long each time (at
    /// most 8 s).
    public let retries: Int
    /// First wait between retries, in seconds.
    public let retryDelay: Double
    /// Seconds a metadata request (`HEAD` of a file, a repository listing) may wait for the
    /// server before the cache answers instead (huggingface_hub's `HF_HUB_ETAG_TIMEOUT`, 10 s).
    public let metadataTimeout: Double
    /// Told once per fallback when the server did not answer and the cache answered instead.
    public let warn: (@Sendable (String) -> Void)?
    /// The access token; private so that it cannot be printed by accident.
    let token: String?
    let transport: HTTPTransport
    /// The session of metadata requests, with ``metadataTimeout``.
    let metadataTransport: HTTPTransport

    /// Whether requests carry an `authorization: Bearer` header.
    public var hasToken: Bool { token != nil }

    /// A client for `endpoint` filling `cache`.
    ///
    /// - Parameters:
    ///   - endpoint: the Hub, `https://huggingface.co` or a mirror.
    ///   - cache: the cache folder.
    ///   - token: sent as `authorization: Bearer <token>`; never logged, never in an error.
    ///   - offline: make no request; answer from the cache or fail naming the missing file.
    ///   - timeout: seconds without progress before a download fails.
    ///   - metadataTimeout: seconds without an answer before a metadata request fails (and the
    ///     cache answers, if it can).
    ///   - downloadAttempts: attempts per file when a transfer breaks off (each resumes).
    ///   - lockTimeout: seconds to wait for a lock held by another process.
    ///   - retries: extra tries of a `HEAD` or listing after a server error or a timeout.
    ///   - retryDelay: first wait between those tries, doubled each time.
    ///   - configuration: URLSession settings (proxies, extra headers); caching is turned off.
    ///   - warn: told when the server did not answer and the cache answered instead.
    public init(
        endpoint: URL = URL(string: HubEnvironment.defaultEndpoint) ?? URL(fileURLWithPath: "/"),
        cache: HubCache, token: String? = nil, offline: Bool = false, timeout: Double = 30,
        metadataTimeout: Double = HubEnvironment.defaultMetadataTimeout,
        downloadAttempts: Int = 3, lockTimeout: Double = 600, retries: Int = 2, retryDelay: Double = 1,
        configuration: URLSessionConfiguration? = nil, warn: (@Sendable (String) -> Void)? = nil
    ) {
        var base = endpoint.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        self.endpoint = URL(string: base) ?? endpoint
        self.cache = cache
        self.token = token
        self.offline = offline
        self.downloadAttempts = max(1, downloadAttempts)
        self.lockTimeout = lockTimeout
        self.retries = max(0, retries)
        self.retryDelay = max(0, retryDelay)
        // Work on a copy: the caller's configuration object is left as it was.
        let settings =
            (configuration?.copy() as? URLSessionConfiguration)
            ?? HTTPTransport.configuration(timeout: timeout)
        settings.urlCache = nil
        settings.requestCachePolicy = .reloadIgnoringLocalCacheData
        settings.timeoutIntervalForRequest = timeout
        self.transport = HTTPTransport(configuration: settings)
        let metadataSettings = (settings.copy() as? URLSessionConfiguration) ?? settings
        self.metadataTimeout = metadataTimeout > 0 ? metadataTimeout : HubEnvironment.defaultMetadataTimeout
        metadataSettings.timeoutIntervalForRequest = self.metadataTimeout
        self.metadataTransport = HTTPTransport(configuration: metadataSettings)
        self.warn = warn
    }

    /// A client configured from the process environment (see `HubEnvironment`); its warnings go
    /// to standard error.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> HubClient {
        let settings = HubEnvironment(environment)
        return HubClient(
            endpoint: settings.endpoint,
            cache: HubCache(root: settings.cacheRoot, disableSymlinks: settings.disableSymlinks),
            token: settings.token, offline: settings.offline, metadataTimeout: settings.metadataTimeout,
            warn: { message in FileHandle.standardError.write(Data(("warning: " + message + "\n").utf8)) })
    }

    // MARK: - URLs

    /// `{endpoint}/{datasets/}{id}/resolve/{revision}/{path}`, revision fully percent-encoded
    /// (`refs/pr/1` → `refs%2Fpr%2F1`), path with `/` kept (huggingface_hub `hf_hub_url`).
    public func resolveURL(repo: RepoID, path: String, revision: String) -> URL? {
        let text =
            endpoint.absoluteString + "/" + repo.kind.urlPrefix + repo.id + "/resolve/"
            + HubClient.quote(revision, keepSlash: false) + "/" + HubClient.quote(path, keepSlash: true)
        return URL(string: text)
    }

    /// `{endpoint}/api/{models|datasets|spaces}/{id}/revision/{revision}` (huggingface_hub `repo_info`).
    public func infoURL(repo: RepoID, revision: String) -> URL? {
        let text =
            endpoint.absoluteString + "/api/" + repo.kind.apiSegment + "/" + repo.id + "/revision/"
            + HubClient.quote(revision, keepSlash: false)
        return URL(string: text)
    }

    /// Python `urllib.parse.quote`: keep `A-Z a-z 0-9 _ . - ~` (and `/` when asked).
    static func quote(_ text: String, keepSlash: Bool) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "-"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                result.append("/")
            default:
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }

    // MARK: - Retries

    /// Runs `request`, trying again after a 500/502/503/504 answer or a transient failure.
    func retrying<T>(_ request: () async throws -> T, status: (T) -> Int) async throws -> T {
        var delay = retryDelay
        var attempt = 0
        while true {
            do {
                let result = try await request()
                guard [500, 502, 503, 504].contains(status(result)), attempt < retries else { return result }
            } catch let failure as TransportFailure where failure.isTransient && attempt < retries {
                // Fall through to the wait below.
            }
            attempt += 1
            try await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000))
            delay = min(delay * 2, 8)
        }
    }

    // MARK: - Headers

    /// Headers of every request: user agent, identity encoding (sizes must be the file's own),
    /// and the token when there is one and `withToken` allows it.
    func headers(withToken: Bool) -> [String: String] {
        var headers = ["User-Agent": "detox-hub/0.1; swift", "Accept-Encoding": "identity"]
        if withToken, let token { headers["authorization"] = "Bearer \(token)" }
        return headers
    }

    /// Same scheme, host and port (Python compares `netloc`).
    static func sameOrigin(_ a: URL, _ b: URL) -> Bool {
        a.scheme?.lowercased() == b.scheme?.lowercased() && a.host?.lowercased() == b.host?.lowercased()
            && a.port == b.port
    }
}
