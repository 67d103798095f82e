// Semantics of Python `fnmatch.fnmatchcase` as used by huggingface_hub `utils/_paths.py`.

// MARK: - GlobPattern

/// A shell-style pattern matched the way huggingface_hub's `filter_repo_objects` matches
/// `allow_patterns` (Python `fnmatch` on POSIX): `*` matches any run of characters *including*
/// `/`, `?` one character, `[abc]` / `[a-z]` / `[!abc]` a set; matching is case-sensitive and
/// covers the whole path. A pattern ending in `/` matches everything under that folder.
public struct GlobPattern: Hashable, Sendable, CustomStringConvertible {
    /// The pattern as given.
    public let pattern: String
    private let characters: [Character]

    /// Makes a pattern; `dir/` becomes `dir/*` as in huggingface_hub.
    public init(_ pattern: String) {
        self.pattern = pattern
        let effective = pattern.hasSuffix("/") ? pattern + "*" : pattern
        self.characters = Array(effective)
    }

    /// The pattern as given.
    public var description: String { pattern }

    // MARK: - Matching

    /// Whether the whole `path` matches.
    public func matches(_ path: String) -> Bool {
        let text = Array(path)
        // Iterative matcher with single-star backtracking (`*` matches across `/`).
        var p = 0
        var t = 0
        var starP = -1
        var starT = 0
        while t < text.count {
            if p < characters.count {
                let c = characters[p]
                if c == "*" {
                    starP = p
                    starT = t
                    p += 1
                    continue
                }
                if c == "?" {
                    p += 1
                    t += 1
                    continue
                }
                if c == "[", let (matched, next) = matchSet(at: p, text[t]) {
                    if matched {
                        p = next
                        t += 1
                        continue
                    }
                } else if c == text[t] {
                    p += 1
                    t += 1
                    continue
                }
            }
            guard starP >= 0 else { return false }
            p = starP + 1
            starT += 1
            t = starT
        }
        while p < characters.count, characters[p] == "*" { p += 1 }
        return p == characters.count
    }

    /// Matches a `[...]` set starting at `start` against `ch`. Returns `nil` when the bracket
    /// is not closed (then `[` is a literal, as in fnmatch), else (matched, index after `]`).
    private func matchSet(at start: Int, _ ch: Character) -> (Bool, Int)? {
        var i = start + 1
        var negate = false
        if i < characters.count, characters[i] == "!" {
            negate = true
            i += 1
        }
        var matched = false
        var first = true
        while i < characters.count {
            let c = characters[i]
            if c == "]", !first {
                return (matched != negate, i + 1)
            }
            first = false
            if i + 2 < characters.count, characters[i + 1] == "-", characters[i + 2] != "]" {
                if c <= ch, ch <= characters[i + 2] { matched = true }
                i += 3
            } else {
                if c == ch { matched = true }
                i += 1
            }
        }
        return nil
    }
}
