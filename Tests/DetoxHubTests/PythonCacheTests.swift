// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (fixture fields keep the snake_case keys the Python fixture scripts write)
import DetoxTestFiles
import Foundation
import Testing

@testable import DetoxHub

// MARK: - PythonCacheTests

/// A cache folder laid out by Python's huggingface_hub (`Scripts/fixtures/make_hub_fixtures.py`,
/// real `hf_hub_download` / `snapshot_download` against a throwaway local server) is read
/// offline, and the Swift client, fed the same answers, lays out the very same tree.
@Suite("Cache made by Python's huggingface_hub")
struct PythonCacheTests {
    struct Manifest: Decodable {
        struct Entry: Decodable {
            let etag: String
            let size: Int
            let lfs: Bool
            let hex: String
        }

        let huggingface_hub: String
        let model: String
        let model_commit: String
        let model_v1_commit: String
        let dataset: String
        let dataset_commit: String
        let files: [String: Entry]

        func content(_ key: String) -> Data? {
            guard let hex = files[key]?.hex else { return nil }
            var data = Data()
            var index = hex.startIndex
            while index < hex.endIndex {
                let next = hex.index(index, offsetBy: 2)
                guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
                data.append(byte)
                index = next
            }
            return data
        }
    }

    static func fixtures() throws -> URL {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw FixtureError.missing("Fixtures")
        }
        return url
    }

    static func manifest() throws -> Manifest {
        try JSONDecoder().decode(
            Manifest.self,
            from: Data(contentsOf: fixtures().appendingPathComponent("python-cache.json")))
    }

    /// A private copy of the Python-made cache (symlinks kept), removed by the caller.
    static func copyOfPythonCache() throws -> URL {
        let folder = try TemporaryFolder("pythoncache").url
        let copy = folder.appendingPathComponent("hub")
        try FileManager.default.copyItem(at: fixtures().appendingPathComponent("python-cache"), to: copy)
        return copy
    }

    enum FixtureError: Error { case missing(String) }

    // MARK: - Reading offline

    /// Every file Python cached is found offline, by branch, tag and commit, with the right bytes;
    /// snapshot entries are the relative symlinks Python made; the `.no_exist` marker reads as
    /// known-missing; an uncached file is an error naming it and the cache path.
    @Test func readsPythonCacheOffline() async throws {
        let manifest = try Self.manifest()
        let root = try Self.copyOfPythonCache()
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        // An endpoint nobody listens on: offline mode must not even try it.
        let client = HubClient(
            endpoint: URL(string: "http://127.0.0.1:9")!, cache: HubCache(root: root),
            offline: true)
        let model = try RepoID(parsing: manifest.model)

        for path in ["config.json", "tokenizer/vocab.txt", "model.safetensors"] {
            let key = manifest.model + "::" + path
            let url = try await client.file(repo: model, path: path)
            #expect(url.path.hasSuffix("/snapshots/\(manifest.model_commit)/\(path)"))
            #expect(try Data(contentsOf: url) == manifest.content(key))
            let depth = path.split(separator: "/").count - 1
            let target = try FileManager.default.destinationOfSymbolicLink(atPath: url.path)
            #expect(
                target == String(repeating: "../", count: depth + 2) + "blobs/" + (manifest.files[key]?.etag ?? "?"))
        }
        let weights = try await client.file(repo: model, path: "model.safetensors")
        #expect(try SHA256.hex(ofFileAt: weights) == manifest.files[manifest.model + "::model.safetensors"]?.etag)

        let tagged = try await client.file(repo: model, path: "config.json", revision: "v1.0")
        #expect(tagged.path.contains("/snapshots/\(manifest.model_v1_commit)/"))
        let pinned = try await client.file(repo: model, path: "config.json", revision: manifest.model_commit)
        #expect(pinned.path.contains("/snapshots/\(manifest.model_commit)/"))

        let dataset = try RepoID(parsing: "datasets/" + manifest.dataset)
        let csv = try await client.file(repo: dataset, path: "test.csv")
        #expect(try Data(contentsOf: csv) == manifest.content("datasets/\(manifest.dataset)::test.csv"))
        let folder = try await client.snapshot(repo: dataset)
        #expect(folder.lastPathComponent == manifest.dataset_commit)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)) == ["README.md", "test.csv"])

        #expect(try client.cache.cachedFile(repo: model, path: "tokenizer.json") == .knownMissing)
        #expect(try client.cache.cachedFile(repo: model, path: "spiece.model") == .notCached)
        await #expect {
            try await client.file(repo: model, path: "spiece.model")
        } throws: { error in
            guard case .offlineFileMissing(_, let file, _, let path) = error as? HubError else { return false }
            return file == "spiece.model" && path.hasPrefix(root.path)
        }
    }

    // MARK: - Same layout both ways

    /// Fed the same answers Python's downloads got, the Swift client builds a tree identical to
    /// Python's: same blobs, refs (bytes), snapshot symlink targets, `.no_exist` marker and lock
    /// files.
    @Test func swiftLayoutMatchesPython() async throws {
        let manifest = try Self.manifest()
        var files: [String: [String: FakeHub.File]] = [:]
        try #require(!manifest.files.isEmpty, "the fixture has no files")
        for (key, entry) in manifest.files {
            let parts = key.components(separatedBy: "::")
            guard parts.count == 2, let content = manifest.content(key) else { continue }
            files[parts[0], default: [:]][parts[1]] = FakeHub.File(content: content, lfs: entry.lfs, etag: entry.etag)
        }
        var options = FakeHub.Options()
        options.repoCommits = ["datasets/" + manifest.dataset: manifest.dataset_commit]
        options.revisionCommits = ["v1.0": manifest.model_v1_commit]
        let hub = try FakeHub(commit: manifest.model_commit, files: files, options: options)
        defer { hub.stop() }
        let folder = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: folder) }
        let client = HubClient(endpoint: hub.hub.baseURL, cache: HubCache(root: folder), timeout: 10)

        let model = try RepoID(parsing: manifest.model)
        for path in ["config.json", "tokenizer/vocab.txt", "model.safetensors"] {
            _ = try await client.file(repo: model, path: path)
        }
        _ = try await client.file(repo: model, path: "config.json", revision: "v1.0")
        await #expect(throws: HubError.self) { try await client.file(repo: model, path: "tokenizer.json") }
        _ = try await client.snapshot(repo: RepoID(parsing: "datasets/" + manifest.dataset))

        let python = try Self.tree(Self.fixtures().appendingPathComponent("python-cache"))
        let swift = try Self.tree(folder)
        #expect(swift == python)
        for (path, value) in python where swift[path] != value {
            Issue.record("\(path): python \(value), swift \(swift[path] ?? "absent")")
        }
    }

    /// path → "link <target>" | "file <sha256>" | "dir", for every entry under `root`.
    static func tree(_ root: URL) throws -> [String: String] {
        var result: [String: String] = [:]
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root.path) else { return result }
        while let relative = walker.nextObject() as? String {
            let full = root.appendingPathComponent(relative).path
            if let target = try? fm.destinationOfSymbolicLink(atPath: full) {
                result[relative] = "link " + target
                continue
            }
            var isFolder: ObjCBool = false
            _ = fm.fileExists(atPath: full, isDirectory: &isFolder)
            result[relative] =
                isFolder.boolValue ? "dir" : "file " + SHA256.hex(of: try Data(contentsOf: URL(fileURLWithPath: full)))
        }
        return result
    }
}
