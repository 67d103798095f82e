import Foundation
import FuzzSupport

@testable import DetoxHub

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One client for every input (it makes no request here).
let client = HubClient(cache: HubCache(root: FuzzInput.folder.appendingPathComponent("cache")), offline: true)
let repo = try? RepoID(parsing: "detox-test/tiny-model")
let resolveURL = URL(string: "https://huggingface.co/detox-test/tiny-model/resolve/main/config.json")

/// libFuzzer entry: the input is read two ways, as the Hub's answers are. As the JSON body of
/// `GET /api/models/{id}/revision/{rev}`: decoded, its commit checked, every listed path checked
/// and the default download set chosen. As a header block (`Name: value` lines, an optional
/// first line with the status) of a `HEAD` on a resolve URL: the file metadata read from it, the
/// relative redirect it names, and the error its status maps to.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHub(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = FuzzInput.bytes(start, count)
    guard let repo, let resolveURL else { return 0 }
    if let info = try? JSONDecoder().decode(RepoInfo.self, from: Data(bytes)) {
        _ = HubCache.isCommitHash(info.sha)
        let paths = info.files.compactMap { try? RepoPath($0, repo: repo) }
        _ = paths.map(\.depth)
        _ = FileSelection.defaultModelFiles(in: info.files)
        _ = FileSelection.filter(info.files, allow: Array(info.files.prefix(4)), ignore: ["*.md"])
    }
    var status = 200
    var fields: [String: String] = [:]
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
        guard let colon = line.firstIndex(of: ":") else {
            if let code = Int(line.trimmingCharacters(in: .whitespaces)), (100...599).contains(code) { status = code }
            continue
        }
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        fields[String(line[..<colon])] = value
    }
    guard
        let answer = HTTPURLResponse(url: resolveURL, statusCode: status, httpVersion: "HTTP/1.1", headerFields: fields)
    else { return 0 }
    let response = HTTPResponse(answer, fallbackURL: resolveURL)
    guard let path = try? RepoPath("config.json", repo: repo) else { return 0 }
    if let location = response.header("Location") {
        _ = HubClient.relativeRedirect(location, from: resolveURL)
        _ = URL(string: location)
    }
    _ = try? client.readMetadata(response, repo: repo, path: path, url: resolveURL, location: resolveURL)
    _ = client.statusError(response, repo: repo, file: path, revision: "main", url: resolveURL).description
    return 0
}
