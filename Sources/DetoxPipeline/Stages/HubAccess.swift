import DetoxHub
import Dispatch
import Foundation

/// Hub access for the synchronous stages and commands: a ``ModelLocator`` that downloads Hub ids
/// into the shared cache (or finds them there), configured from the environment like Python's
/// `huggingface_hub` (`HF_HOME`, `HF_HUB_CACHE`, `HF_HUB_OFFLINE`, `HF_TOKEN`, `HF_ENDPOINT`).
public enum HubAccess {
    /// A locator that resolves anything that is not a local folder through the Hub.
    public static func locator(progress: HubProgressHandler? = nil) -> ModelLocator {
        ModelLocator { argument in
            try blocking { try await HubClient.fromEnvironment().folder(for: argument, progress: progress) }
        }
    }

    /// Downloads (or finds in the cache) a model or dataset snapshot. Datasets take their data
    /// files (`*.csv`, `*.jsonl`, `*.json`, `*.parquet`) and README; models the default selection
    /// (configs, tokenizer files and one weights format).
    public static func download(_ argument: String, revision: String = "main", progress: HubProgressHandler? = nil)
        throws -> URL
    {
        try blocking {
            let client = HubClient.fromEnvironment()
            let repo = try RepoID(parsing: argument)
            let patterns: [String]? =
                repo.kind == .dataset ? ["*.csv", "*.jsonl", "*.json", "*.parquet", "README.md"] : nil
            return try await client.snapshot(
                repo: repo, revision: revision, allowPatterns: patterns, progress: progress)
        }
    }

    /// Runs async work to completion from synchronous code (the command-line tool's stages).
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.result = .success(try await work()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        guard let result = box.result else {
            throw DetoxError.invalidSetting(name: "hub", reason: "the download task did not finish")
        }
        return try result.get()
    }
}

/// Holds a result written by one task and read after a semaphore says it is there.
///
/// `@unchecked Sendable`: the semaphore's signal orders the single write before the single read,
/// so the two never overlap.
final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

extension HubAccess {
    /// A data file argument: an existing local file, or `datasets/org/name/path/in/repo.csv`,
    /// fetched from that dataset repository into the shared cache.
    public static func dataFile(_ argument: String, revision: String = "main") throws -> URL {
        let local = URL(fileURLWithPath: (argument as NSString).expandingTildeInPath)
        if FileManager.default.fileExists(atPath: local.path) { return local }
        let parts = argument.split(separator: "/").map(String.init)
        guard parts.count >= 4, parts[0] == "datasets" else {
            throw DetoxError.notFound(
                argument: argument, reason: "is not a file, nor datasets/org/name/<file> on the Hub")
        }
        return try blocking {
            let repo = try RepoID(parsing: parts[0...2].joined(separator: "/"))
            return try await HubClient.fromEnvironment().file(
                repo: repo, path: parts[3...].joined(separator: "/"), revision: revision)
        }
    }
}
