import Foundation

// MARK: - CachedFile

/// What the cache knows about a file, without asking the server
/// (huggingface_hub `try_to_load_from_cache`).
public enum CachedFile: Equatable, Sendable {
    /// The snapshot path of the file.
    case file(URL)
    /// A previous request found the file absent at that commit (`.no_exist` marker).
    case knownMissing
    /// Nothing is known.
    case notCached
}
