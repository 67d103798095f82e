// MARK: - RepoPath

/// A file path inside a repository, checked so that it can never leave the snapshot folder:
/// relative, `/`-separated, no empty, `.` or `..` component, no backslash, no NUL byte.
/// huggingface_hub refuses the same paths in `_get_pointer_path`; here they are refused before
/// any request is made.
struct RepoPath: Hashable, Sendable {
    /// The path as sent in URLs (`onnx/model.onnx`).
    let string: String
    /// Its components (`["onnx", "model.onnx"]`).
    let components: [String]

    init(_ path: String, repo: RepoID) throws {
        func refuse(_ reason: String) -> HubError {
            HubError.invalidFilePath(repo: repo.description, path: path, reason: reason)
        }
        guard !path.isEmpty else { throw refuse("empty path") }
        guard !path.hasPrefix("/") else { throw refuse("absolute paths are not repository files") }
        guard !path.contains("\\") else { throw refuse("backslashes are not allowed") }
        guard !path.contains("\0") else { throw refuse("NUL bytes are not allowed") }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for part in parts {
            guard !part.isEmpty else { throw refuse("empty path component") }
            guard part != ".", part != ".." else { throw refuse("'.' and '..' would escape the snapshot folder") }
        }
        self.string = path
        self.components = parts
    }

    /// Number of folders above the file inside the snapshot (`a/b/c.txt` → 2).
    var depth: Int { components.count - 1 }
}
