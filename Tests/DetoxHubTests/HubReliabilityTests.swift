import DetoxTestFiles
import Foundation
import Testing

@testable import DetoxHub

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A TCP listener on 127.0.0.1 that accepts every connection and never answers (a Hub that
/// hangs); it counts the connections, so a test sees how many requests a client made.
final class SilentListener: @unchecked Sendable {
    let port: Int
    private let descriptor: Int32
    private let lock = NSLock()
    private var accepted: [Int32] = []
    private var stopped = false

    init() throws {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard fd >= 0, bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw LoopbackServer.ServerError.socket("silent listener")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: actual.sin_port))
        Thread.detachNewThread { [weak self] in
            // Ends when `stop()` shuts the listening socket down.
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                guard let self else {
                    close(client)
                    return
                }
                self.lock.withLock { self.accepted.append(client) }
            }
        }
    }

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// How many connections clients have opened so far.
    var connections: Int { lock.withLock { accepted.count } }

    /// Stops accepting and closes every connection.
    func stop() {
        let clients: [Int32]? = lock.withLock {
            defer { stopped = true }
            return stopped ? nil : accepted
        }
        guard let clients else { return }
        shutdown(descriptor, Int32(SHUT_RDWR))
        close(descriptor)
        for client in clients { close(client) }
    }

    deinit { stop() }
}

/// Collects warnings a client gives.
final class WarningLog: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []
    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }
    func append(_ line: String) {
        lock.lock()
        recorded.append(line)
        lock.unlock()
    }
}

/// The Hub client against servers that hang or misbehave: metadata timeouts and the cache
/// fallback, the token kept on the Hub's own host.
@Suite("Hub reliability")
struct HubReliabilityTests {
    /// huggingface_hub's `HF_HUB_ETAG_TIMEOUT`: a positive integer, else 10 s.
    @Test func metadataTimeoutFromTheEnvironment() {
        #expect(HubEnvironment(["HOME": "/h"]).metadataTimeout == 10)
        #expect(HubEnvironment(["HOME": "/h", "HF_HUB_ETAG_TIMEOUT": "3"]).metadataTimeout == 3)
        #expect(HubEnvironment(["HOME": "/h", "HF_HUB_ETAG_TIMEOUT": "0"]).metadataTimeout == 10)
        #expect(HubEnvironment(["HOME": "/h", "HF_HUB_ETAG_TIMEOUT": "soon"]).metadataTimeout == 10)
        #expect(HubClient.fromEnvironment(["HOME": "/h", "HF_HUB_ETAG_TIMEOUT": "2"]).metadataTimeout == 2)
    }

    /// A Hub that accepts connections and never answers: a snapshot and a file already cached
    /// come back from the cache after one metadata timeout (no retries), with one warning each.
    @Test func hangingHubFallsBackOnTheCacheAfterOneTimeout() async throws {
        let hub = try FakeHub(files: ["org/tiny": ["config.json": .init(content: Data("{}".utf8), lfs: false)]])
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let repo = try RepoID(parsing: "org/tiny")
        let online = HubClient(endpoint: hub.hub.baseURL, cache: HubCache(root: cache), timeout: 10)
        let folder = try await online.snapshot(repo: repo)
        let file = try await online.file(repo: repo, path: "config.json")
        hub.stop()

        let silent = try SilentListener()
        let warnings = WarningLog()
        let client = HubClient(
            endpoint: silent.baseURL, cache: HubCache(root: cache), metadataTimeout: 1,
            warn: { warnings.append($0) })
        var start = Date()
        #expect(try await client.snapshot(repo: repo) == folder)
        // One request, no retry; the bound only tells a timeout from a hang on a loaded machine.
        #expect(silent.connections == 1)
        #expect(Date().timeIntervalSince(start) < 30)
        #expect(warnings.lines.count == 1)
        #expect(warnings.lines.first?.contains("using the cached snapshot") == true)

        start = Date()
        #expect(try await client.file(repo: repo, path: "config.json") == file)
        #expect(silent.connections == 2)
        #expect(Date().timeIntervalSince(start) < 30)
        #expect(warnings.lines.count == 2)
        silent.stop()
    }

    /// A download redirected to another host (127.0.0.2, a second loopback address) never
    /// carries the token there, whether the `HEAD` or only the `GET` is redirected.
    @Test(arguments: [false, true]) func tokenStaysOnTheHubsHost(redirectOnlyGet: Bool) async throws {
        let weights = bytes(20_000)
        var options = FakeHub.Options()
        options.cdnAddress = "127.0.0.2"
        options.redirectOnlyGet = redirectOnlyGet
        let hub = try FakeHub(
            files: ["org/tiny": ["model.safetensors": .init(content: weights, lfs: true)]], options: options)
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let url = try await HubClient(
            endpoint: hub.hub.baseURL, cache: HubCache(root: cache), token: "hf_secret_host", timeout: 10
        )
        .file(repo: RepoID(parsing: "org/tiny"), path: "model.safetensors")
        #expect(try Data(contentsOf: url) == weights)
        #expect(hub.cdn.baseURL.host == "127.0.0.2")
        #expect(!hub.hub.requests.isEmpty && !hub.cdn.requests.isEmpty)
        #expect(hub.hub.requests.allSatisfy { $0.header("authorization") == "Bearer hf_secret_host" })
        #expect(hub.cdn.requests.allSatisfy { $0.header("authorization") == nil })
    }

    /// A corrupt LFS body (its SHA-256 is not the `X-Linked-Etag`) leaves nothing in the cache,
    /// not even an `.incomplete` file to resume from, and a later good answer is accepted.
    @Test func corruptBodyNeverEntersTheCache() async throws {
        let weights = bytes(8_192)
        var options = FakeHub.Options()
        options.corruptCDNBody = bytes(8_192, seed: 3)
        let hub = try FakeHub(
            files: ["org/tiny": ["model.safetensors": .init(content: weights, lfs: true)]], options: options)
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let client = HubClient(endpoint: hub.hub.baseURL, cache: HubCache(root: cache), timeout: 10)
        let repo = try RepoID(parsing: "org/tiny")
        await #expect(throws: HubError.self) { try await client.file(repo: repo, path: "model.safetensors") }
        let blobs = cache.appendingPathComponent("models--org--tiny/blobs")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: blobs.path)) ?? []).isEmpty)

        hub.options.corruptCDNBody = nil
        let url = try await client.file(repo: repo, path: "model.safetensors")
        #expect(try Data(contentsOf: url) == weights)
    }

    /// `detox download` with `HF_TOKEN`: neither standard output, standard error nor any file in
    /// the cache holds the token, whether the Hub refuses it or accepts it.
    @Test func tokenNeverAppearsInOutputOrFiles() throws {
        let token = "hf_LEAKCHECK_5f2a9c"
        var options = FakeHub.Options()
        options.requiredToken = token
        let hub = try FakeHub(
            files: [
                "org/tiny": [
                    "config.json": .init(content: Data("{}".utf8), lfs: false),
                    "model.safetensors": .init(content: bytes(70_000), lfs: true),
                ]
            ], options: options)
        defer { hub.stop() }
        let folder = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = folder.appendingPathComponent("cache")
        var texts: [String] = []
        for sent in ["hf_WRONG_" + token, token] {
            let outcome = try DetoxTool.run(
                ["download", "org/tiny"], in: folder,
                environment: [
                    "HF_ENDPOINT": hub.hub.baseURL.absoluteString, "HF_HUB_CACHE": cache.path, "HF_TOKEN": sent,
                    "HF_HUB_OFFLINE": "0",
                ])
            #expect(outcome.status == (sent == token ? 0 : 1), "\(outcome.standardError)")
            texts += [outcome.standardOutput, outcome.standardError]
        }
        #expect(texts[1].contains("401"))
        #expect(texts[3].contains("model.safetensors"))
        let files = FileManager.default.enumerator(atPath: cache.path)?.allObjects as? [String] ?? []
        try #require(!files.isEmpty)
        for name in files {
            texts.append(name)
            if let data = FileManager.default.contents(atPath: cache.appendingPathComponent(name).path) {
                texts.append(String(decoding: data, as: UTF8.self))
            }
        }
        #expect(!texts.contains { $0.contains(token) })
    }
}
