// Semantics of huggingface_hub 0.36 `constants.py` and `utils/_auth.py` (`get_token`).

import Foundation

// MARK: - HubEnvironment

/// The Hub settings a process environment asks for, read with huggingface_hub's rules
/// (`constants.py`, `utils/_auth.py`):
///
/// - endpoint: `HF_ENDPOINT` (trailing `/` removed), else `https://huggingface.co`;
/// - cache: `HF_HUB_CACHE`, else legacy `HUGGINGFACE_HUB_CACHE`, else `$HF_HOME/hub`, where
///   `HF_HOME` defaults to `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`
///   (`$VAR`, `${VAR}` and a leading `~` are expanded, as `expandvars`/`expanduser` do);
/// - offline: `HF_HUB_OFFLINE` or `TRANSFORMERS_OFFLINE` set to `1`, `ON`, `YES` or `TRUE`;
/// - token: `HF_TOKEN`, else `HUGGING_FACE_HUB_TOKEN`, else the file at `HF_TOKEN_PATH`
///   (default `$HF_HOME/token`), with line breaks and surrounding spaces removed;
/// - symlinks off: `HF_HUB_DISABLE_SYMLINKS` true;
/// - metadata timeout: `HF_HUB_ETAG_TIMEOUT` seconds when it is a positive integer, else 10.
public struct HubEnvironment: Sendable, CustomStringConvertible {
    /// The Hub's base URL.
    public let endpoint: URL
    /// `HF_HOME`.
    public let home: URL
    /// `HF_HUB_CACHE`.
    public let cacheRoot: URL
    /// Whether no request may be made.
    public let offline: Bool
    /// Whether snapshots hold copies rather than symlinks.
    public let disableSymlinks: Bool
    /// The access token, if any. Never printed: `description` says only whether there is one.
    public let token: String?
    /// Seconds a metadata request waits for an answer (`HF_HUB_ETAG_TIMEOUT`).
    public let metadataTimeout: Double

    /// huggingface_hub's `DEFAULT_ETAG_TIMEOUT`.
    public static let defaultMetadataTimeout: Double = 10

    /// The Hub's public endpoint.
    public static let defaultEndpoint = "https://huggingface.co"

    /// Reads `environment` (by default this process's).
    public init(_ environment: [String: String] = ProcessInfo.processInfo.environment) {
        func value(_ name: String) -> String? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            return text
        }
        let userHome = value("HOME") ?? FileManager.default.homeDirectoryForCurrentUser.path
        func expand(_ text: String) -> String {
            let path = HubEnvironment.expandVariables(text, environment)
            if path == "~" { return userHome }
            if path.hasPrefix("~/") { return userHome + path.dropFirst(1) }
            return path
        }

        var endpointText = value("HF_ENDPOINT") ?? HubEnvironment.defaultEndpoint
        while endpointText.hasSuffix("/") { endpointText.removeLast() }
        endpoint = URL(string: endpointText) ?? URL(fileURLWithPath: "/")

        let xdgCache = value("XDG_CACHE_HOME").map(expand) ?? (userHome + "/.cache")
        let homePath = value("HF_HOME").map(expand) ?? (xdgCache + "/huggingface")
        home = URL(fileURLWithPath: homePath, isDirectory: true)
        let cachePath = (value("HF_HUB_CACHE") ?? value("HUGGINGFACE_HUB_CACHE")).map(expand) ?? (homePath + "/hub")
        cacheRoot = URL(fileURLWithPath: cachePath, isDirectory: true)

        offline = HubEnvironment.isTrue(value("HF_HUB_OFFLINE") ?? value("TRANSFORMERS_OFFLINE"))
        disableSymlinks = HubEnvironment.isTrue(value("HF_HUB_DISABLE_SYMLINKS"))
        // Python's `_as_int(...) or DEFAULT_ETAG_TIMEOUT`: an integer other than 0, else the default.
        let etagTimeout = value("HF_HUB_ETAG_TIMEOUT").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
        metadataTimeout = etagTimeout > 0 ? Double(etagTimeout) : HubEnvironment.defaultMetadataTimeout

        if let fromVariable = HubEnvironment.clean(value("HF_TOKEN") ?? value("HUGGING_FACE_HUB_TOKEN")) {
            token = fromVariable
        } else {
            let tokenPath = value("HF_TOKEN_PATH").map(expand) ?? (homePath + "/token")
            token = HubEnvironment.clean(try? String(contentsOfFile: tokenPath, encoding: .utf8))
        }
    }

    /// The settings with the token shown only as `set` or `none`.
    public var description: String {
        "endpoint \(endpoint.absoluteString), cache \(cacheRoot.path), offline \(offline), "
            + "token \(token == nil ? "none" : "set")"
    }

    // MARK: - Parsing

    /// huggingface_hub `_is_true`: `1`, `ON`, `YES`, `TRUE` in any case.
    static func isTrue(_ text: String?) -> Bool {
        guard let text else { return false }
        return ["1", "ON", "YES", "TRUE"].contains(text.uppercased())
    }

    /// Python `os.path.expandvars`: `$NAME` and `${NAME}` replaced by their values; unknown
    /// names are left as written.
    static func expandVariables(_ text: String, _ environment: [String: String]) -> String {
        guard text.contains("$") else { return text }
        var result = ""
        var index = text.startIndex
        func isNameCharacter(_ c: Character) -> Bool { c == "_" || (c.isASCII && (c.isLetter || c.isNumber)) }
        while index < text.endIndex {
            let c = text[index]
            guard c == "$" else {
                result.append(c)
                index = text.index(after: index)
                continue
            }
            let after = text.index(after: index)
            if after < text.endIndex, text[after] == "{", let close = text[after...].firstIndex(of: "}") {
                let name = String(text[text.index(after: after)..<close])
                result += environment[name] ?? String(text[index...close])
                index = text.index(after: close)
                continue
            }
            var end = after
            while end < text.endIndex, isNameCharacter(text[end]) { end = text.index(after: end) }
            let name = String(text[after..<end])
            result += name.isEmpty ? "$" : (environment[name] ?? "$" + name)
            index = end
        }
        return result
    }

    /// huggingface_hub `_clean_token`: drop `\r` and `\n`, trim; empty means none.
    static func clean(_ token: String?) -> String? {
        guard let token else { return nil }
        let cleaned = token.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "")
            .trimmingCharacters(in: .whitespaces)
        return cleaned.isEmpty ? nil : cleaned
    }
}
