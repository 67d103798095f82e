import Foundation

@testable import DetoxHub

// MARK: - FakeHub

/// Plays the Hub's resolve, CDN and repository-info endpoints on a `LoopbackServer`, the way
/// huggingface.co answers them: regular files are served by `/resolve/` with `X-Repo-Commit` and
/// an `ETag`; LFS files answer the `HEAD` with a 302 to an absolute CDN URL plus `X-Linked-Etag`
/// (their SHA-256) and `X-Linked-Size`; a renamed repository answers with a relative 307 to its
/// new name. Tests tweak the answers through the `Options`.
final class FakeHub: @unchecked Sendable {
    struct File {
        var content: Data
        var lfs: Bool
        /// Etag to announce; by default a fixed fake git sha1, or the SHA-256 for LFS files.
        var etag: String?
    }

    struct Options {
        /// Old id → new id: requests for the old one get a relative 307.
        var renamed: [String: String] = [:]
        /// Token the server accepts; requests without it get 401. `nil`: no auth needed.
        var requiredToken: String?
        /// The first `n` body GETs are cut after `dropAfter` bytes.
        var dropFirstGets = 0
        var dropAfter = 0
        /// Serve these bytes on the CDN instead of the real content (same size: corrupt body).
        var corruptCDNBody: Data?
        /// Ignore `Range` (answer 200 with the whole body).
        var ignoreRange = false
        /// LFS files answer the HEAD with a 200 (with X-Linked-* headers) and only the GET with
        /// the 302 to the CDN, so URLSession follows that redirect itself.
        var redirectOnlyGet = false
        /// Commit per repository key (`org/name`, `datasets/org/name`), and per revision name;
        /// otherwise `commit`.
        var repoCommits: [String: String] = [:]
        /// The first `n` resolve HEADs answer 503.
        var failFirstHeads = 0
        var revisionCommits: [String: String] = [:]
        /// The CDN's loopback address: `127.0.0.2` makes it another host than the Hub.
        var cdnAddress = "127.0.0.1"
    }

    let commit: String
    var files: [String: [String: File]] // "org/name" (or "datasets/org/name") → path → file
    var options: Options
    private(set) var hub: LoopbackServer!
    private(set) var cdn: LoopbackServer!
    private let lock = NSLock()
    private var getsServed = 0
    private var headsServed = 0

    init(
        commit: String = "0123456789abcdef0123456789abcdef01234567",
        files: [String: [String: File]], options: Options = Options()
    ) throws {
        self.commit = commit
        self.files = files
        self.options = options
        cdn = try LoopbackServer(address: options.cdnAddress) { [unowned self] request in self.answerCDN(request) }
        hub = try LoopbackServer { [unowned self] request in self.answerHub(request) }
    }

    func stop() {
        hub.stop()
        cdn.stop()
    }

    /// The etag announced for a file.
    static func etag(of file: File) -> String {
        if let etag = file.etag { return etag }
        return file.lfs ? SHA256.hex(of: file.content) : "5d1b2b6c0c9a3f1e8e0f4a6a7c2b9d8e1f0a3b4c"
    }

    /// The commit a revision of a repository resolves to.
    func commit(repo key: String, revision: String) -> String {
        if HubCache.isCommitHash(revision) { return revision }
        return options.revisionCommits[revision] ?? options.repoCommits[key] ?? commit
    }

    // MARK: - Hub

    private func answerHub(_ request: RecordedRequest) -> ScriptedResponse {
        let path = request.path.split(separator: "?").first.map(String.init) ?? request.path
        if let required = options.requiredToken, request.header("authorization") != "Bearer \(required)" {
            return .status(401, [("X-Error-Code", "RepoNotFound"), ("X-Error-Message", "Invalid credentials")])
        }
        if path.hasPrefix("/api/") { return answerInfo(path) }
        if request.method == "HEAD" {
            lock.lock()
            headsServed += 1
            let fail = headsServed <= options.failFirstHeads
            lock.unlock()
            if fail { return .status(503) }
        }
        // /{datasets/}{org}/{name}/resolve/{rev}/{file}
        var rest = String(path.dropFirst())
        var prefix = ""
        if rest.hasPrefix("datasets/") {
            prefix = "datasets/"
            rest.removeFirst(prefix.count)
        }
        let parts = rest.split(separator: "/", maxSplits: 4, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[2] == "resolve" else { return .status(404) }
        let repo = parts[0] + "/" + parts[1]
        if let newName = options.renamed[repo] {
            let location = "/" + prefix + newName + "/resolve/" + parts[3] + "/" + parts[4]
            return .status(307, [("Location", location)])
        }
        let filePath = parts[4].removingPercentEncoding ?? parts[4]
        guard let repoFiles = files[prefix + repo] else {
            return .status(404, [("X-Error-Code", "RepoNotFound")])
        }
        let commit = commit(repo: prefix + repo, revision: parts[3].removingPercentEncoding ?? parts[3])
        guard let file = repoFiles[filePath] else {
            return .status(404, [("X-Error-Code", "EntryNotFound"), ("X-Repo-Commit", commit)])
        }
        let etag = FakeHub.etag(of: file)
        if file.lfs, options.redirectOnlyGet {
            var headers = [
                ("X-Repo-Commit", commit), ("X-Linked-Etag", "\"\(etag)\""),
                ("X-Linked-Size", "\(file.content.count)"), ("ETag", "W/\"pointer-etag\""),
            ]
            if request.method == "HEAD" {
                headers.append(("Content-Length", "0"))
                return .status(200, headers)
            }
            headers.append(("Location", cdn.baseURL.absoluteString + "/blob/\(etag)?signature=secret-sig"))
            return .status(302, headers)
        }
        if file.lfs {
            return .status(
                302,
                [
                    ("Location", cdn.baseURL.absoluteString + "/blob/\(etag)?signature=secret-sig"),
                    ("X-Repo-Commit", commit), ("X-Linked-Etag", "\"\(etag)\""),
                    ("X-Linked-Size", "\(file.content.count)"), ("ETag", "W/\"pointer-etag\""),
                    ("Content-Length", "0"),
                ])
        }
        return body(
            file.content, request: request,
            headers: [("X-Repo-Commit", commit), ("ETag", "\"\(etag)\"")])
    }

    private func answerInfo(_ path: String) -> ScriptedResponse {
        // /api/{models|datasets}/{org}/{name}/revision/{rev}
        let parts = path.split(separator: "/").map(String.init)
        guard parts.count == 6, parts[4] == "revision" else { return .status(404) }
        let repo = parts[2] + "/" + parts[3]
        if let newName = options.renamed[repo] {
            return .status(307, [("Location", "/api/\(parts[1])/\(newName)/revision/\(parts[5])")])
        }
        let key = (parts[1] == "datasets" ? "datasets/" : "") + repo
        guard let repoFiles = files[key] else { return .status(404, [("X-Error-Code", "RepoNotFound")]) }
        let siblings = repoFiles.keys.sorted().map { ["rfilename": $0] }
        let sha = commit(repo: key, revision: parts[5].removingPercentEncoding ?? parts[5])
        let json = try? JSONSerialization.data(withJSONObject: ["id": repo, "sha": sha, "siblings": siblings])
        return .status(200, [("Content-Type", "application/json")], body: json ?? Data())
    }

    // MARK: - CDN

    private func answerCDN(_ request: RecordedRequest) -> ScriptedResponse {
        let path = request.path.split(separator: "?").first.map(String.init) ?? request.path
        guard path.hasPrefix("/blob/") else { return .status(404) }
        let sha = String(path.dropFirst("/blob/".count))
        for repoFiles in files.values {
            for file in repoFiles.values where file.lfs && FakeHub.etag(of: file) == sha {
                return body(
                    options.corruptCDNBody ?? file.content, request: request,
                    headers: [("Content-Type", "application/octet-stream")])
            }
        }
        return .status(404)
    }

    // MARK: - Bodies

    /// A 200, or a 206 for `Range: bytes=N-`, cut short for the first `dropFirstGets` GETs.
    private func body(_ content: Data, request: RecordedRequest, headers: [(String, String)]) -> ScriptedResponse {
        var response = ScriptedResponse(status: 200, headers: headers, body: content)
        if !options.ignoreRange, let range = request.header("range"), range.hasPrefix("bytes="),
            let start = Int(range.dropFirst(6).split(separator: "-").first ?? ""), start <= content.count
        {
            response.status = start < content.count ? 206 : 416
            response.body = start < content.count ? content.subdata(in: start..<content.count) : Data()
            if start < content.count {
                response.headers.append(("Content-Range", "bytes \(start)-\(content.count - 1)/\(content.count)"))
            } else {
                response.headers.append(("Content-Range", "bytes */\(content.count)"))
            }
        }
        if request.method == "HEAD" {
            // A HEAD announces the full size.
            response.headers.append(("Content-Length", "\(content.count)"))
            response.body = Data()
            response.status = 200
            return response
        }
        lock.lock()
        getsServed += 1
        let drop = getsServed <= options.dropFirstGets
        lock.unlock()
        if drop {
            response.dropAfter = options.dropAfter
        }
        return response
    }
}

// MARK: - Helpers

/// Bytes 0..<n, deterministic.
func bytes(_ count: Int, seed: UInt8 = 7) -> Data {
    Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) })
}
