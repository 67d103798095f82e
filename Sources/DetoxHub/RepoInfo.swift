import Foundation

// MARK: - RepoInfo

/// The parts of `GET /api/{models|datasets}/{id}/revision/{rev}` a snapshot needs.
public struct RepoInfo: Decodable, Sendable {
    /// One file of the listing.
    public struct Sibling: Decodable, Sendable {
        /// Path of the file in the repository.
        public let rfilename: String
    }

    /// The commit the revision resolved to.
    public let sha: String
    /// The repository's files.
    public let siblings: [Sibling]?

    /// File paths in listing order.
    public var files: [String] { (siblings ?? []).map(\.rfilename) }
}
