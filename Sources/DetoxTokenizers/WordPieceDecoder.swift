/// Joins WordPiece tokens: continuation pieces lose their prefix, others get a leading space;
/// optionally cleans up spaces before punctuation and contractions.
struct WordPieceDecoder: TokenDecoder {
    let prefix: String
    let cleanup: Bool

    static func cleanUp(_ s: String) -> String {
        s.replacingAll(" .", with: ".").replacingAll(" ?", with: "?").replacingAll(" !", with: "!")
            .replacingAll(" ,", with: ",").replacingAll(" ' ", with: "'").replacingAll(" n't", with: "n't")
            .replacingAll(" 'm", with: "'m").replacingAll(" do not", with: " don't").replacingAll(" 's", with: "'s")
            .replacingAll(" 've", with: "'ve").replacingAll(" 're", with: "'re")
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, token in
            var t = token
            if i != 0 {
                if !prefix.isEmpty, t.hasScalarPrefix(prefix) {
                    t = String(t.unicodeScalars.dropFirst(prefix.unicodeScalars.count))
                } else {
                    t = " " + t
                }
            }
            return cleanup ? Self.cleanUp(t) : t
        }
    }
}

extension String {
    /// Replaces every non-overlapping occurrence of `target`, left to right, comparing Unicode
    /// scalars (like Rust's and Python's `str.replace`, unlike `Character` comparison).
    func replacingAll(_ target: String, with replacement: String) -> String {
        let hay = Array(unicodeScalars)
        let needle = Array(target.unicodeScalars)
        guard !needle.isEmpty, hay.count >= needle.count else { return self }
        var out = String.UnicodeScalarView()
        var i = 0
        var changed = false
        while i < hay.count {
            if i + needle.count <= hay.count, hay[i] == needle[0], hay[i..<(i + needle.count)].elementsEqual(needle) {
                out.append(contentsOf: replacement.unicodeScalars)
                i += needle.count
                changed = true
            } else {
                out.append(hay[i])
                i += 1
            }
        }
        return changed ? String(out) : self
    }
}
