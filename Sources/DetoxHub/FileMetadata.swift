import Foundation

// MARK: - FileMetadata

/// What a `HEAD` on a resolve URL says about a file (huggingface_hub `HfFileMetadata`).
struct FileMetadata: Sendable {
    /// The commit the revision resolved to (`X-Repo-Commit`).
    let commit: String
    /// `X-Linked-Etag` or `ETag` without `W/` and quotes: git blob sha1, or SHA-256 for LFS.
    let etag: String
    /// `X-Linked-Size` or `Content-Length`.
    let size: Int64
    /// Where to `GET` the bytes: the `Location` of a redirect to a CDN, else the resolve URL
    /// after any relative redirects.
    let location: URL
}
