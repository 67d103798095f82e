// Finds and downloads files of a Hub repository through the cache that Python's huggingface_hub
// shares (HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE, HF_TOKEN and HF_ENDPOINT are honoured).
import DetoxHub
import Foundation

let client = HubClient.fromEnvironment()
let repo = try RepoID(parsing: "google-t5/t5-small")

// Where the repository lives in the cache: models--google-t5--t5-small.
print(client.cache.repoFolder(repo).path)

// What the cache holds already, without a request.
switch try client.cache.cachedFile(repo: repo, path: "config.json") {
case .file(let url): print("cached at \(url.path)")
case .knownMissing: print("the repository has no such file (a cached 404)")
case .notCached: print("not cached yet")
}

// snippet.hide
// Only with `--download`: the snippet is built in CI, where there is no network.
guard CommandLine.arguments.contains("--download") else { exit(0) }
// snippet.show
// One file (downloaded once, then answered by the cache, also offline):
let config = try await client.file(repo: repo, path: "config.json")
// A whole snapshot, weights included, as `detox download` does:
let snapshot = try await client.folder(for: "google-t5/t5-small")
print(config.path, snapshot.path)
