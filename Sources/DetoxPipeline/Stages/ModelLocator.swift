import Foundation

/// Turns a model or dataset argument into a local folder: an existing folder is used as it is;
/// anything else is treated as a Hub id and resolved through ``resolver`` (the Hub client, when
/// the pipeline is given one).
public struct ModelLocator: Sendable {
    /// Resolves a Hub id to a local snapshot folder; `nil` when Hub access is not configured.
    public var resolver: (@Sendable (String) throws -> URL)?

    public init(resolver: (@Sendable (String) throws -> URL)? = nil) {
        self.resolver = resolver
    }

    /// What to call the model in `folder` in a log line: the Hub id for a snapshot of the Hub
    /// cache (`…/models--org--name/snapshots/<commit>` is `org/name`), the folder's name otherwise.
    public static func displayName(of folder: URL) -> String {
        let parts = folder.standardizedFileURL.pathComponents
        guard parts.count >= 3, parts[parts.count - 2] == "snapshots", parts[parts.count - 3].hasPrefix("models--")
        else { return folder.lastPathComponent }
        return parts[parts.count - 3].dropFirst("models--".count).replacingOccurrences(of: "--", with: "/")
    }

    public func folder(for argument: String) throws -> URL {
        var isDirectory: ObjCBool = false
        let url = URL(fileURLWithPath: (argument as NSString).expandingTildeInPath)
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            return url
        }
        guard let resolver else {
            throw DetoxError.notFound(
                argument: argument,
                reason:
                    "is not a local folder, and Hub downloads are not available here (pass a folder made with `detox download` or by huggingface_hub)"
            )
        }
        return try resolver(argument)
    }
}
