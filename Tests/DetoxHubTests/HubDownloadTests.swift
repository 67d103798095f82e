import DetoxTestFiles
import Foundation
import Testing

@testable import DetoxHub

// MARK: - HubDownloadTests

/// Downloads against a loopback Hub (`FakeHub` on 127.0.0.1): cache layout, redirects, LFS,
/// errors, resume, locking. Every test starts its own servers and cache folder and stops and
/// removes them at the end.
@Suite("Hub downloads against a loopback server")
struct HubDownloadTests {
    static let commit = "0123456789abcdef0123456789abcdef01234567"
    static let config = Data("{\"model_type\": \"t5\"}\n".utf8)

    func client(
        _ hub: FakeHub, cache: URL, token: String? = nil, offline: Bool = false,
        attempts: Int = 3, lockTimeout: Double = 30
    ) -> HubClient {
        HubClient(
            endpoint: hub.hub.baseURL, cache: HubCache(root: cache), token: token, offline: offline,
            timeout: 10, downloadAttempts: attempts, lockTimeout: lockTimeout)
    }

    // MARK: - Plain files

    /// A regular file lands in blobs/<etag>, its snapshot entry is a relative symlink, refs/main
    /// holds the commit without a newline; a second call makes a HEAD but no GET, and a call by
    /// commit hash makes no request at all.
    @Test func plainFileThenCacheHit() async throws {
        let hub = try FakeHub(files: ["org/tiny": ["config.json": .init(content: Self.config, lfs: false)]])
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let client = client(hub, cache: cache)
        let repo = try RepoID(parsing: "org/tiny")

        let url = try await client.file(repo: repo, path: "config.json")
        let etag = FakeHub.etag(of: .init(content: Self.config, lfs: false))
        let folder = cache.appendingPathComponent("models--org--tiny")
        #expect(url.path == folder.appendingPathComponent("snapshots/\(Self.commit)/config.json").path)
        #expect(try Data(contentsOf: url) == Self.config)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: url.path) == "../../blobs/\(etag)")
        #expect(try Data(contentsOf: folder.appendingPathComponent("blobs/\(etag)")) == Self.config)
        #expect(try Data(contentsOf: folder.appendingPathComponent("refs/main")) == Data(Self.commit.utf8))
        #expect(
            FileManager.default.fileExists(
                atPath: cache.appendingPathComponent(".locks/models--org--tiny/\(etag).lock").path))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("blobs/\(etag).incomplete").path))

        let first = hub.hub.requests
        #expect(first.map(\.method) == ["HEAD", "GET"])
        #expect(first.first?.path == "/org/tiny/resolve/main/config.json")
        #expect(first.first?.header("accept-encoding") == "identity")
        #expect(first.first?.header("authorization") == nil)

        let again = try await client.file(repo: repo, path: "config.json")
        #expect(again == url)
        #expect(hub.hub.requests.map(\.method) == ["HEAD", "GET", "HEAD"])

        let byCommit = try await client.file(repo: repo, path: "config.json", revision: Self.commit)
        #expect(byCommit == url)
        #expect(hub.hub.requests.count == 3)
    }

    /// A nested path gets one more `../` per folder, and the percent-encoded revision is sent.
    @Test func nestedPathAndEncodedRevision() async throws {
        let vocab = Data("a\nb\n".utf8)
        let hub = try FakeHub(files: ["org/tiny": ["tokenizer/vocab.txt": .init(content: vocab, lfs: false)]])
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let repo = try RepoID(parsing: "org/tiny")

        let url = try await client(hub, cache: cache).file(
            repo: repo, path: "tokenizer/vocab.txt", revision: "refs/pr/1")
        #expect(try Data(contentsOf: url) == vocab)
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: url.path)
        #expect(target.hasPrefix("../../../blobs/"))
        #expect(hub.hub.requests.first?.path == "/org/tiny/resolve/refs%2Fpr%2F1/tokenizer/vocab.txt")
        let ref = cache.appendingPathComponent("models--org--tiny/refs/refs/pr/1")
        #expect(try String(contentsOf: ref, encoding: .utf8) == Self.commit)
    }

    /// Progress reports end at the file's full size.
    @Test func progressReachesTotal() async throws {
        let content = bytes(300_000)
        let hub = try FakeHub(files: ["org/tiny": ["data.bin": .init(content: content, lfs: false)]])
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let seen = Recorder<(String, Int64, Int64)>()
        _ = try await client(hub, cache: cache).file(repo: RepoID(parsing: "org/tiny"), path: "data.bin") {
            seen.append(($0, $1, $2))
        }
        let reports = seen.values
        #expect(reports.last.map { $0.1 == 300_000 && $0.2 == 300_000 && $0.0 == "data.bin" } == true)
        #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.1 <= $1.1 })
    }

    // MARK: - Redirects

    /// A renamed repository answers with a relative redirect, which the HEAD follows; the cache
    /// folder is named after the id as requested (as huggingface_hub does).
    @Test func renamedRepositoryRelativeRedirect() async throws {
        var options = FakeHub.Options()
        options.renamed = ["DaNLP/da-electra-hatespeech-detection": "alexandrainst/da-hatespeech-detection-small"]
        let hub = try FakeHub(
            files: [
                "alexandrainst/da-hatespeech-detection-small": [
                    "config.json": .init(content: Self.config, lfs: false)
                ]
            ], options: options)
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let repo = try RepoID(parsing: "DaNLP/da-electra-hatespeech-detection")

        let url = try await client(hub, cache: cache, token: "hf_tok").file(repo: repo, path: "config.json")
        #expect(try Data(contentsOf: url) == Self.config)
        #expect(url.path.contains("/models--DaNLP--da-electra-hatespeech-detection/snapshots/\(Self.commit)/"))
        let paths = hub.hub.requests.map { "\($0.method) \($0.path)" }
        #expect(
            paths == [
                "HEAD /DaNLP/da-electra-hatespeech-detection/resolve/main/config.json",
                "HEAD /alexandrainst/da-hatespeech-detection-small/resolve/main/config.json",
                "GET /alexandrainst/da-hatespeech-detection-small/resolve/main/config.json",
            ])
        // Same host: the token stays.
        #expect(hub.hub.requests.allSatisfy { $0.header("authorization") == "Bearer hf_tok" })
    }

    /// An LFS file: HEAD gets a 302 to an absolute CDN URL with X-Linked-Etag/X-Linked-Size; the
    /// GET goes to the CDN without the token; the blob is named by the SHA-256 and verified.
    @Test func lfsRedirectToCDN() async throws {
        let weights = bytes(70_000)
        let hub = try FakeHub(files: ["org/tiny": ["model.safetensors": .init(content: weights, lfs: true)]])
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }

        let url = try await client(hub, cache: cache, token: "hf_secret")
            .file(repo: RepoID(parsing: "org/tiny"), path: "model.safetensors")
        let sha = SHA256.hex(of: weights)
        #expect(try Data(contentsOf: url) == weights)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: url.path) == "../../blobs/\(sha)")
        #expect(hub.hub.requests.map(\.method) == ["HEAD"])
        #expect(hub.hub.requests.first?.header("authorization") == "Bearer hf_secret")
        #expect(hub.cdn.requests.map(\.method) == ["GET"])
        #expect(hub.cdn.requests.first?.path == "/blob/\(sha)?signature=secret-sig")
        #expect(hub.cdn.requests.first?.header("authorization") == nil)
    }

    /// When the GET itself is redirected to another host, URLSession follows it but the token is
    /// dropped, and a resume's Range header is carried to the new host.
    @Test func crossHostRedirectDropsToken() async throws {
        let weights = bytes(30_000)
        var options = FakeHub.Options()
        options.redirectOnlyGet = true
        options.dropFirstGets = 1
        options.dropAfter = 10_000
        let hub = try FakeHub(
            files: ["org/tiny": ["model.safetensors": .init(content: weights, lfs: true)]],
            options: options)
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }

        let url = try await client(hub, cache: cache, token: "hf_secret", attempts: 2)
            .file(repo: RepoID(parsing: "org/tiny"), path: "model.safetensors")
        #expect(try Data(contentsOf: url) == weights)
        #expect(hub.hub.requests.map(\.method) == ["HEAD", "GET", "GET"])
        #expect(hub.hub.requests.allSatisfy { $0.header("authorization") == "Bearer hf_secret" })
        #expect(hub.cdn.requests.count == 2)
        #expect(hub.cdn.requests.allSatisfy { $0.header("authorization") == nil })
        #expect(hub.cdn.requests.map { $0.header("range") } == [nil, "bytes=10000-"])
    }

    /// A CDN body that does not hash to the etag is refused and nothing is left in blobs/.
    @Test func lfsCorruptBodyRefused() async throws {
        let weights = bytes(4096)
        var options = FakeHub.Options()
        options.corruptCDNBody = bytes(4096, seed: 99)
        let hub = try FakeHub(
            files: ["org/tiny": ["model.safetensors": .init(content: weights, lfs: true)]],
            options: options)
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }

        await #expect {
            try await client(hub, cache: cache).file(repo: RepoID(parsing: "org/tiny"), path: "model.safetensors")
        } throws: { error in
            guard case .checksumMismatch(let repo, let file, let expected, _, _) = error as? HubError else {
                return false
            }
            return repo == "org/tiny" && file == "model.safetensors" && expected == SHA256.hex(of: weights)
        }
        let blobs = cache.appendingPathComponent("models--org--tiny/blobs")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: blobs.path)) ?? []).isEmpty)
        let snapshot = cache.appendingPathComponent("models--org--tiny/snapshots/\(Self.commit)/model.safetensors")
        #expect(!FileManager.default.fileExists(atPath: snapshot.path))
    }

    // MARK: - Errors

    /// 401 without a token: the error says no token was sent.
    @Test func unauthorizedWithoutToken() async throws {
        var options = FakeHub.Options()
        options.requiredToken = "hf_right"
        let hub = try FakeHub(
            files: ["org/private": ["config.json": .init(content: Self.config, lfs: false)]],
            options: options)
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }

        await #expect(
            throws: HubError.unauthorized(
                repo: "org/private", file: "config.json",
                url: hub.hub.baseURL.absoluteString + "/org/private/resolve/main/config.json",
                status: 401, tokenSent: false)
        ) {
            try await client(hub, cache: cache).file(repo: RepoID(parsing: "org/private"), path: "config.json")
        }
        #expect(hub.hub.requests.first?.header("authorization") == nil)
    }

    /// 401 with a wrong token: the token was sent as `authorization: Bearer`, and it appears in
    /// no error text; the right token then succeeds.
    @Test func unauthorizedWithTokenNeverLeaksIt() async throws {
        var options = FakeHub.Options()
        options.requiredToken = "hf_right"
        let hub = try FakeHub(
            files: ["org/private": ["config.json": .init(content: Self.config, lfs: false)]],
            options: options)
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }

        do {
            _ = try await client(hub, cache: cache, token: "hf_WRONG_secret")
                .file(repo: RepoID(parsing: "org/private"), path: "config.json")
            Issue.record("expected a 401")
        } catch let error as HubError {
            guard case .unauthorized(let repo, let file, _, let status, let tokenSent) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(repo == "org/private" && file == "config.json" && status == 401 && tokenSent)
            #expect(!error.description.contains("hf_WRONG_secret"))
            #expect(!String(reflecting: error).contains("hf_WRONG_secret"))
        }
        #expect(hub.hub.requests.first?.header("authorization") == "Bearer hf_WRONG_secret")

        let url = try await client(hub, cache: cache, token: "hf_right")
            .file(repo: RepoID(parsing: "org/private"), path: "config.json")
        #expect(try Data(contentsOf: url) == Self.config)
    }

    /// 404 EntryNotFound names repo and file, and leaves the `.no_exist` marker Python leaves.
    @Test func missingFileIs404() async throws {
        let hub = try FakeHub(files: ["org/tiny": ["config.json": .init(content: Self.config, lfs: false)]])
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let client = client(hub, cache: cache)
        let repo = try RepoID(parsing: "org/tiny")

        do {
            _ = try await client.file(repo: repo, path: "tokenizer.json")
            Issue.record("expected a 404")
        } catch let error as HubError {
            #expect(
                error
                    == .entryNotFound(
                        repo: "org/tiny", file: "tokenizer.json", revision: "main",
                        url: hub.hub.baseURL.absoluteString + "/org/tiny/resolve/main/tokenizer.json",
                        status: 404))
            #expect(error.description.contains("tokenizer.json") && error.description.contains("org/tiny"))
        }
        #expect(try client.cache.cachedFile(repo: repo, path: "tokenizer.json") == .knownMissing)
        #expect(hub.hub.requests.map(\.method) == ["HEAD"])
    }

    /// A repository the server does not know is a repositoryNotFound error.
    @Test func missingRepository() async throws {
        let hub = try FakeHub(files: [:])
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        await #expect {
            try await client(hub, cache: cache).file(repo: RepoID(parsing: "nobody/nothing"), path: "config.json")
        } throws: { error in
            if case .repositoryNotFound("nobody/nothing", _, 404) = error as? HubError { return true }
            return false
        }
    }

    // MARK: - Resume

    /// A connection dropped mid-body leaves `.incomplete` with the bytes received; the next call
    /// resumes with `Range: bytes=<n>-` and completes.
    @Test func droppedConnectionResumesOnNextCall() async throws {
        let content = bytes(10_000)
        var options = FakeHub.Options()
        options.dropFirstGets = 1
        options.dropAfter = 4_000
        let hub = try FakeHub(files: ["org/tiny": ["data.bin": .init(content: content, lfs: false)]], options: options)
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let client = client(hub, cache: cache, attempts: 1)
        let repo = try RepoID(parsing: "org/tiny")
        let etag = FakeHub.etag(of: .init(content: content, lfs: false))
        let incomplete = cache.appendingPathComponent("models--org--tiny/blobs/\(etag).incomplete")

        do {
            _ = try await client.file(repo: repo, path: "data.bin")
            Issue.record("expected an interrupted download")
        } catch let error as HubError {
            guard case .downloadInterrupted(_, let file, _, let received, let expected, let path, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(file == "data.bin" && expected == 10_000 && path == incomplete.path)
            #expect(received == 4_000)
        }
        #expect(HubClient.fileSize(incomplete) == 4_000)

        let url = try await client.file(repo: repo, path: "data.bin")
        #expect(try Data(contentsOf: url) == content)
        let gets = hub.hub.requests.filter { $0.method == "GET" }
        #expect(gets.count == 2)
        #expect(gets.first?.header("range") == nil)
        #expect(gets.last?.header("range") == "bytes=4000-")
        #expect(!FileManager.default.fileExists(atPath: incomplete.path))
    }

    /// With retries allowed, one call resumes by itself after the drop; an LFS resume through
    /// the CDN keeps the Range header across the redirect target.
    @Test func droppedConnectionRetriesWithinOneCall() async throws {
        let weights = bytes(50_000)
        var options = FakeHub.Options()
        options.dropFirstGets = 1
        options.dropAfter = 20_000
        let hub = try FakeHub(
            files: ["org/tiny": ["model.safetensors": .init(content: weights, lfs: true)]],
            options: options)
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }

        let url = try await client(hub, cache: cache, attempts: 3)
            .file(repo: RepoID(parsing: "org/tiny"), path: "model.safetensors")
        #expect(try Data(contentsOf: url) == weights)
        #expect(hub.cdn.requests.map { $0.header("range") } == [nil, "bytes=20000-"])
    }

    /// A server that ignores Range (answers 200) restarts the file instead of appending.
    @Test func serverIgnoringRangeRestarts() async throws {
        let content = bytes(8_000)
        var options = FakeHub.Options()
        options.dropFirstGets = 1
        options.dropAfter = 3_000
        options.ignoreRange = true
        let hub = try FakeHub(files: ["org/tiny": ["data.bin": .init(content: content, lfs: false)]], options: options)
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let url = try await client(hub, cache: cache, attempts: 2).file(
            repo: RepoID(parsing: "org/tiny"), path: "data.bin")
        #expect(try Data(contentsOf: url) == content)
    }

    // MARK: - Locking

    /// While another process holds the blob's lock the download waits; it completes once the
    /// lock is released.
    @Test func waitsForAnotherProcessLock() async throws {
        let hub = try FakeHub(files: ["org/tiny": ["config.json": .init(content: Self.config, lfs: false)]])
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let etag = FakeHub.etag(of: .init(content: Self.config, lfs: false))
        let other = FileLock(path: cache.appendingPathComponent(".locks/models--org--tiny/\(etag).lock").path)
        try await other.lock(timeout: 1)

        let client = client(hub, cache: cache)
        let task = Task { try await client.file(repo: RepoID(parsing: "org/tiny"), path: "config.json") }
        // Wait for the HEAD (bounded), then give the client time it would need to download.
        for _ in 0..<100 where hub.hub.requests.isEmpty {
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        try await Task.sleep(nanoseconds: 300_000_000)
        #expect(hub.hub.requests.map(\.method) == ["HEAD"]) // waiting on the lock: no GET yet
        other.unlock()
        let url = try await task.value
        #expect(try Data(contentsOf: url) == Self.config)
    }

    /// A lock never released ends in lockTimeout naming the lock file.
    @Test func lockTimeout() async throws {
        let hub = try FakeHub(files: ["org/tiny": ["config.json": .init(content: Self.config, lfs: false)]])
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let etag = FakeHub.etag(of: .init(content: Self.config, lfs: false))
        let lockPath = cache.appendingPathComponent(".locks/models--org--tiny/\(etag).lock").path
        let other = FileLock(path: lockPath)
        try await other.lock(timeout: 1)
        defer { other.unlock() }
        await #expect(throws: HubError.lockTimeout(path: lockPath, seconds: 0.3)) {
            try await client(hub, cache: cache, lockTimeout: 0.3).file(
                repo: RepoID(parsing: "org/tiny"), path: "config.json")
        }
    }

    // MARK: - Offline and unreachable

    /// Offline with the file cached: the cache answers and no request is made. Offline with the
    /// file missing: the error names the file and the cache path looked in.
    @Test func offlineMode() async throws {
        let hub = try FakeHub(files: ["org/tiny": ["config.json": .init(content: Self.config, lfs: false)]])
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let repo = try RepoID(parsing: "org/tiny")
        let online = try await client(hub, cache: cache).file(repo: repo, path: "config.json")
        let before = hub.hub.requests.count

        let offline = client(hub, cache: cache, offline: true)
        let cached = try await offline.file(repo: repo, path: "config.json")
        #expect(cached == online)
        #expect(hub.hub.requests.count == before)

        do {
            _ = try await offline.file(repo: repo, path: "spiece.model")
            Issue.record("expected offlineFileMissing")
        } catch let error as HubError {
            let expectedPath = cache.appendingPathComponent("models--org--tiny/snapshots/\(Self.commit)/spiece.model")
                .path
            #expect(
                error
                    == .offlineFileMissing(
                        repo: "org/tiny", file: "spiece.model", revision: "main",
                        cachePath: expectedPath))
            #expect(error.description.contains("spiece.model") && error.description.contains(expectedPath))
        }
        // An uncached repository offline: the error still names file and where it was looked for.
        await #expect {
            try await offline.file(repo: RepoID(parsing: "org/other"), path: "config.json")
        } throws: { error in
            guard case .offlineFileMissing(_, let file, _, let path) = error as? HubError else { return false }
            return file == "config.json" && path.hasPrefix(cache.appendingPathComponent("models--org--other").path)
        }
        #expect(hub.hub.requests.count == before)
    }

    /// Server unreachable: a cached file of the revision is still returned (as huggingface_hub
    /// falls back); an uncached one is fileNotCached naming the file and the cache path.
    @Test func unreachableServerFallsBackOnCache() async throws {
        let hub = try FakeHub(files: ["org/tiny": ["config.json": .init(content: Self.config, lfs: false)]])
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let repo = try RepoID(parsing: "org/tiny")
        let online = try await client(hub, cache: cache).file(repo: repo, path: "config.json")
        let endpoint = hub.hub.baseURL
        hub.stop()

        let client = HubClient(endpoint: endpoint, cache: HubCache(root: cache), timeout: 5)
        #expect(try await client.file(repo: repo, path: "config.json") == online)
        await #expect {
            try await client.file(repo: repo, path: "vocab.txt")
        } throws: { error in
            guard case .fileNotCached(_, let file, _, _, let path, _) = error as? HubError else { return false }
            return file == "vocab.txt" && path.hasSuffix("snapshots/\(Self.commit)/vocab.txt")
        }
    }

    // MARK: - Copies and concurrency

    /// With symlinks disabled (`HF_HUB_DISABLE_SYMLINKS`) the snapshot entry is a regular file
    /// holding the content, and a second call is still a cache hit.
    @Test func symlinksDisabledCopies() async throws {
        let hub = try FakeHub(files: ["org/tiny": ["config.json": .init(content: Self.config, lfs: false)]])
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let client = HubClient(
            endpoint: hub.hub.baseURL, cache: HubCache(root: cache, disableSymlinks: true),
            timeout: 10)
        let url = try await client.file(repo: RepoID(parsing: "org/tiny"), path: "config.json")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: url.path)) == nil)
        #expect(try Data(contentsOf: url) == Self.config)
        _ = try await client.file(repo: RepoID(parsing: "org/tiny"), path: "config.json")
        #expect(hub.hub.requests.map(\.method) == ["HEAD", "GET", "HEAD"])
        #expect(HubClient.fromEnvironment(["HOME": "/h", "HF_HUB_DISABLE_SYMLINKS": "1"]).cache.disableSymlinks)
    }

    /// Two concurrent requests for one file download it once: the second waits on the lock and
    /// then finds the snapshot entry.
    @Test func concurrentCallsDownloadOnce() async throws {
        let content = bytes(200_000)
        let hub = try FakeHub(files: ["org/tiny": ["data.bin": .init(content: content, lfs: false)]])
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let client = client(hub, cache: cache)
        let repo = try RepoID(parsing: "org/tiny")
        async let first = client.file(repo: repo, path: "data.bin")
        async let second = client.file(repo: repo, path: "data.bin")
        let (a, b) = try await (first, second)
        #expect(a == b)
        #expect(try Data(contentsOf: a) == content)
        #expect(hub.hub.requests.filter { $0.method == "GET" }.count == 1)
    }

    /// A local folder argument is used as is; a Hub id is fetched as a snapshot.
    @Test func folderForArgument() async throws {
        let hub = try FakeHub(files: ["org/tiny": ["config.json": .init(content: Self.config, lfs: false)]])
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let client = client(hub, cache: cache)
        #expect(try await client.folder(for: cache.path) == URL(fileURLWithPath: cache.path, isDirectory: true))
        #expect(hub.hub.requests.isEmpty)
        let folder = try await client.folder(for: "org/tiny")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path))
    }

    /// 503 answers are retried with backoff; with no retries left an uncached file is
    /// fileNotCached (reason HTTP 503) and a cached one is returned.
    @Test func serverErrorsRetriedThenFallBack() async throws {
        var options = FakeHub.Options()
        options.failFirstHeads = 2
        let hub = try FakeHub(
            files: ["org/tiny": ["config.json": .init(content: Self.config, lfs: false)]],
            options: options)
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let repo = try RepoID(parsing: "org/tiny")
        let patient = HubClient(
            endpoint: hub.hub.baseURL, cache: HubCache(root: cache), timeout: 10, retries: 2,
            retryDelay: 0.05)
        let url = try await patient.file(repo: repo, path: "config.json")
        #expect(try Data(contentsOf: url) == Self.config)
        #expect(hub.hub.requests.map(\.method) == ["HEAD", "HEAD", "HEAD", "GET"])

        hub.options.failFirstHeads = 1_000
        let hasty = HubClient(endpoint: hub.hub.baseURL, cache: HubCache(root: cache), timeout: 10, retries: 0)
        #expect(try await hasty.file(repo: repo, path: "config.json") == url)
        await #expect {
            try await hasty.file(repo: repo, path: "spiece.model")
        } throws: { error in
            guard case .fileNotCached(_, let file, _, _, let path, let reason) = error as? HubError else {
                return false
            }
            return file == "spiece.model" && reason == "HTTP 503" && path.hasPrefix(cache.path)
        }
    }

    // MARK: - Path safety

    /// Paths that would leave the snapshot folder are refused before any request.
    @Test(arguments: ["../../etc/passwd", "/etc/passwd", "a/../../b", "", "a//b", "./x", "dir\\..\\x"])
    func pathTraversalRefused(path: String) async throws {
        let hub = try FakeHub(files: ["org/tiny": ["config.json": .init(content: Self.config, lfs: false)]])
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        await #expect {
            try await client(hub, cache: cache).file(repo: RepoID(parsing: "org/tiny"), path: path)
        } throws: { error in
            guard case .invalidFilePath(let repo, let refused, _) = error as? HubError else { return false }
            return repo == "org/tiny" && refused == path
        }
        #expect(hub.hub.requests.isEmpty)
    }

    /// A commit or etag from the server that would escape the cache is refused.
    @Test func unsafeServerValuesRefused() async throws {
        let hub = try FakeHub(
            commit: "../../../../tmp/evil",
            files: [
                "org/tiny": [
                    "config.json": .init(content: Self.config, lfs: false)
                ]
            ])
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        await #expect {
            try await client(hub, cache: cache).file(repo: RepoID(parsing: "org/tiny"), path: "config.json")
        } throws: { error in
            if case .unsafeServerValue = error as? HubError { return true }
            return false
        }
        let hub2 = try FakeHub(files: [
            "org/tiny": [
                "config.json": .init(content: Self.config, lfs: false, etag: "../../evil")
            ]
        ])
        defer { hub2.stop() }
        await #expect {
            try await client(hub2, cache: cache).file(repo: RepoID(parsing: "org/tiny"), path: "config.json")
        } throws: { error in
            if case .unsafeServerValue = error as? HubError { return true }
            return false
        }
    }
}

// MARK: - Recorder

/// Collects values from a `@Sendable` callback.
final class Recorder<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Value] = []
    func append(_ value: Value) {
        lock.lock()
        stored.append(value)
        lock.unlock()
    }

    var values: [Value] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
