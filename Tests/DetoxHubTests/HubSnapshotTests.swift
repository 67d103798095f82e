import DetoxTestFiles
import Foundation
import Testing

@testable import DetoxHub

// MARK: - HubSnapshotTests

/// `snapshot(repo:)` against a loopback Hub: listing through `/api/.../revision/...`, the default
/// model selection, patterns, renamed repositories, offline reuse.
@Suite("Hub snapshots against a loopback server")
struct HubSnapshotTests {
    static let commit = "0123456789abcdef0123456789abcdef01234567"

    static func t5Files() -> [String: FakeHub.File] {
        var files: [String: FakeHub.File] = [:]
        for (index, name) in [
            "README.md", "config.json", "generation_config.json", "spiece.model", "tokenizer.json",
            "pytorch_model.bin", "tf_model.h5", "flax_model.msgpack", "onnx/encoder_model.onnx",
        ]
        .enumerated() {
            files[name] = .init(
                content: bytes(100 + index, seed: UInt8(index)), lfs: false,
                etag: String(format: "%040x", index + 1))
        }
        files["model.safetensors"] = .init(content: bytes(5_000), lfs: true)
        return files
    }

    /// With no patterns a model snapshot fetches config and tokenizer files and only the
    /// safetensors weights; refs/main records the listed commit; the folder holds exactly those.
    @Test func defaultModelSelection() async throws {
        let hub = try FakeHub(files: ["google-t5/t5-small": Self.t5Files()])
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let client = HubClient(endpoint: hub.hub.baseURL, cache: HubCache(root: cache), timeout: 10)

        let folder = try await client.snapshot(repo: RepoID(parsing: "google-t5/t5-small"))
        let expected: Set = [
            "config.json", "generation_config.json", "model.safetensors", "spiece.model",
            "tokenizer.json",
        ]
        #expect(
            folder.path == cache.appendingPathComponent("models--google-t5--t5-small/snapshots/\(Self.commit)").path)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)) == expected)
        #expect(hub.hub.requests.first?.path == "/api/models/google-t5/t5-small/revision/main")
        let fetched = hub.hub.requests.filter { $0.method == "GET" && !$0.path.hasPrefix("/api/") }.map(\.path)
        #expect(
            Set(fetched) == [
                "/google-t5/t5-small/resolve/\(Self.commit)/config.json",
                "/google-t5/t5-small/resolve/\(Self.commit)/generation_config.json",
                "/google-t5/t5-small/resolve/\(Self.commit)/spiece.model",
                "/google-t5/t5-small/resolve/\(Self.commit)/tokenizer.json",
            ])
        #expect(hub.cdn.requests.count == 1)
        let ref = cache.appendingPathComponent("models--google-t5--t5-small/refs/main")
        #expect(try String(contentsOf: ref, encoding: .utf8) == Self.commit)

        // Again: one listing call, every file is known by commit, nothing else is asked.
        let count = hub.hub.requests.count
        _ = try await client.snapshot(repo: RepoID(parsing: "google-t5/t5-small"))
        #expect(hub.hub.requests.count == count + 1)

        // Offline: the cached folder, no request.
        let offline = HubClient(endpoint: hub.hub.baseURL, cache: HubCache(root: cache), offline: true)
        #expect(try await offline.snapshot(repo: RepoID(parsing: "google-t5/t5-small")) == folder)
        #expect(hub.hub.requests.count == count + 1)
    }

    /// Explicit patterns pick files the fnmatch way, nested paths included.
    @Test func allowAndIgnorePatterns() async throws {
        let hub = try FakeHub(files: ["google-t5/t5-small": Self.t5Files()])
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let client = HubClient(endpoint: hub.hub.baseURL, cache: HubCache(root: cache), timeout: 10)
        let folder = try await client.snapshot(
            repo: RepoID(parsing: "google-t5/t5-small"),
            allowPatterns: ["*.json", "onnx/"], ignorePatterns: ["generation_*"])
        #expect(
            Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)) == [
                "config.json", "tokenizer.json", "onnx",
            ])
        let onnx = folder.appendingPathComponent("onnx/encoder_model.onnx")
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: onnx.path) == "../../../blobs/"
                + String(format: "%040x", 9))
    }

    /// A dataset snapshot takes every file and uses the datasets API and cache prefix.
    @Test func datasetSnapshot() async throws {
        let csv = Data("id,dialogue,summary,topic\n".utf8)
        let hub = try FakeHub(files: [
            "datasets/knkarthick/dialogsum": [
                "test.csv": .init(content: csv, lfs: false, etag: String(repeating: "c", count: 40)),
                "README.md": .init(content: Data("# d\n".utf8), lfs: false, etag: String(repeating: "d", count: 40)),
            ]
        ])
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let client = HubClient(endpoint: hub.hub.baseURL, cache: HubCache(root: cache), timeout: 10)
        let folder = try await client.snapshot(repo: RepoID(parsing: "datasets/knkarthick/dialogsum"))
        #expect(folder.path.contains("/datasets--knkarthick--dialogsum/snapshots/"))
        #expect(try Data(contentsOf: folder.appendingPathComponent("test.csv")) == csv)
        #expect(hub.hub.requests.first?.path == "/api/datasets/knkarthick/dialogsum/revision/main")
    }

    /// A renamed model: the listing's redirect is followed, files come from the new name, the
    /// cache folder keeps the requested name.
    @Test func renamedRepository() async throws {
        var options = FakeHub.Options()
        options.renamed = ["DaNLP/da-electra-hatespeech-detection": "alexandrainst/da-hatespeech-detection-small"]
        let hub = try FakeHub(
            files: [
                "alexandrainst/da-hatespeech-detection-small": [
                    "config.json": .init(content: Data("{}".utf8), lfs: false),
                    "vocab.txt": .init(
                        content: Data("[PAD]\n".utf8), lfs: false, etag: String(repeating: "b", count: 40)),
                    "pytorch_model.bin": .init(content: bytes(3_000), lfs: true),
                ]
            ], options: options)
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let client = HubClient(endpoint: hub.hub.baseURL, cache: HubCache(root: cache), timeout: 10)
        let folder = try await client.snapshot(repo: RepoID(parsing: "DaNLP/da-electra-hatespeech-detection"))
        #expect(folder.path.contains("/models--DaNLP--da-electra-hatespeech-detection/snapshots/\(Self.commit)"))
        #expect(
            Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
                == ["config.json", "vocab.txt", "pytorch_model.bin"])
        #expect(try Data(contentsOf: folder.appendingPathComponent("pytorch_model.bin")) == bytes(3_000))
    }

    /// A listing naming a file outside the snapshot is refused before anything is downloaded.
    @Test func listingWithTraversalRefused() async throws {
        let hub = try FakeHub(files: [
            "org/evil": [
                "config.json": .init(content: Data("{}".utf8), lfs: false),
                "../../outside.json": .init(content: Data("{}".utf8), lfs: false),
            ]
        ])
        defer { hub.stop() }
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let client = HubClient(endpoint: hub.hub.baseURL, cache: HubCache(root: cache), timeout: 10)
        await #expect {
            try await client.snapshot(repo: RepoID(parsing: "org/evil"), allowPatterns: ["*"])
        } throws: { error in
            if case .invalidFilePath("org/evil", "../../outside.json", _) = error as? HubError { return true }
            return false
        }
        #expect(hub.hub.requests.map(\.method) == ["GET"])
    }

    /// Offline without a cached snapshot: an error naming the repository and the cache folder.
    @Test func offlineWithoutSnapshot() async throws {
        let cache = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: cache) }
        let client = HubClient(
            endpoint: URL(string: "http://127.0.0.1:9")!, cache: HubCache(root: cache), offline: true)
        await #expect {
            try await client.snapshot(repo: RepoID(parsing: "google-t5/t5-small"))
        } throws: { error in
            guard case .snapshotNotCached(let repo, _, let path, _) = error as? HubError else { return false }
            return repo == "google-t5/t5-small" && path.hasSuffix("models--google-t5--t5-small")
        }
    }
}
