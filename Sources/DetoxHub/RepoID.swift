// MARK: - RepoKind

/// The kind of a Hub repository; it picks the URL prefix and the cache folder prefix.
public enum RepoKind: String, Sendable, Hashable, CaseIterable {
    /// A model repository (no URL prefix, `models--` cache folders).
    case model
    /// A dataset repository (`datasets/` URL prefix, `datasets--` cache folders).
    case dataset
    /// A Space (`spaces/` URL prefix, `spaces--` cache folders).
    case space

    /// Prefix in resolve URLs: `""`, `datasets/`, `spaces/` (huggingface_hub `REPO_TYPES_URL_PREFIXES`).
    var urlPrefix: String {
        switch self {
        case .model: return ""
        case .dataset: return "datasets/"
        case .space: return "spaces/"
        }
    }

    /// Path segment of the repository API: `models`, `datasets`, `spaces`.
    var apiSegment: String { rawValue + "s" }
}

// MARK: - RepoID

/// A Hub repository: its kind and its id (`google-t5/t5-small`, `knkarthick/dialogsum`, `gpt2`).
///
/// Parsed from the strings users type: `org/name` is a model, `datasets/org/name` a dataset,
/// `spaces/org/name` a space (`models/org/name` is accepted too). Ids are checked the way
/// huggingface_hub's `validate_repo_id` does (letters, digits, `-`, `_`, `.`; no `--` or `..`;
/// at most 96 characters), which also guarantees the cache folder name stays one path component.
public struct RepoID: Hashable, Sendable, CustomStringConvertible {
    /// Model, dataset or space.
    public let kind: RepoKind
    /// `org/name` or `name`, as requested (not as a redirect renamed it).
    public let id: String

    /// Makes a repository reference from a kind and an id such as `org/name`.
    public init(kind: RepoKind = .model, id: String) throws {
        try RepoID.validate(id)
        self.kind = kind
        self.id = id
    }

    /// Parses `org/name`, `name`, `datasets/org/name`, `spaces/org/name` or `models/org/name`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 3 {
            switch parts[0] {
            case "models": try self.init(kind: .model, id: parts[1] + "/" + parts[2])
            case "datasets": try self.init(kind: .dataset, id: parts[1] + "/" + parts[2])
            case "spaces": try self.init(kind: .space, id: parts[1] + "/" + parts[2])
            default: throw HubError.invalidRepoID(text, reason: "expected 'org/name' or 'datasets/org/name'")
            }
        } else {
            try self.init(kind: .model, id: text)
        }
    }

    /// The id with its kind prefix for datasets and spaces (`datasets/org/name`).
    public var description: String { kind.urlPrefix + id }

    /// The cache folder name: `models--org--name`, `datasets--org--name`
    /// (huggingface_hub `repo_folder_name`).
    public var folderName: String {
        ([kind.apiSegment] + id.split(separator: "/").map(String.init)).joined(separator: "--")
    }

    // MARK: - Validation

    private static func validate(_ id: String) throws {
        guard !id.isEmpty else { throw HubError.invalidRepoID(id, reason: "empty") }
        guard id.count <= 96 else { throw HubError.invalidRepoID(id, reason: "longer than 96 characters") }
        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else {
            throw HubError.invalidRepoID(id, reason: "expected 'org/name' or 'name'")
        }
        for part in parts {
            guard !part.isEmpty else { throw HubError.invalidRepoID(id, reason: "empty component") }
            guard part.unicodeScalars.allSatisfy(isAllowed) else {
                throw HubError.invalidRepoID(id, reason: "only letters, digits, '-', '_' and '.' are allowed")
            }
            guard part.first != "-", part.first != ".", part.last != "-", part.last != "." else {
                throw HubError.invalidRepoID(id, reason: "a component cannot start or end with '-' or '.'")
            }
        }
        guard !id.contains("--"), !id.contains("..") else {
            throw HubError.invalidRepoID(id, reason: "'--' and '..' are forbidden")
        }
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".": return true
        default: return false
        }
    }
}
