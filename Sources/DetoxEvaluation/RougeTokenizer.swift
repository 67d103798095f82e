// Port of rouge-score 0.1.2 `rouge_score/tokenize.py` (`tokenize`) and `tokenizers.py`
// (`DefaultTokenizer`).

/// rouge-score's default tokenizer: lowercase (Python `str.lower()`), replace every run of
/// characters other than `[a-z0-9]` by a space, split on whitespace, stem tokens longer than three
/// characters with nltk's Porter stemmer when asked, and keep only non-empty `[a-z0-9]+` tokens.
///
/// Lowercasing is done scalar by scalar. Of all Unicode scalars outside ASCII, only two lower to
/// something that contains an ASCII letter or digit in Python 3.11 (Unicode 14): `İ` (U+0130,
/// which lowers to `i` + U+0307, so it ends its token after the `i`) and the Kelvin sign `K`
/// (U+212A, which lowers to `k`). Every other non-ASCII scalar (accented letters, CJK, emoji,
/// full-width or non-Latin digits, non-ASCII spaces) separates tokens and is dropped.
public struct RougeTokenizer: Sendable {
    /// Whether tokens longer than three characters are Porter-stemmed.
    public let useStemmer: Bool
    private let stemmer: PorterStemmer?

    /// Creates the tokenizer (rouge-score `DefaultTokenizer(use_stemmer:)`).
    public init(useStemmer: Bool = false) {
        self.useStemmer = useStemmer
        self.stemmer = useStemmer ? PorterStemmer() : nil
    }

    // MARK: - Tokenizing

    /// The tokens of `text`, as rouge-score's `DefaultTokenizer.tokenize(text)`.
    public func tokenize(_ text: String) -> [String] {
        tokenize(scalars: text.unicodeScalars)
    }

    /// Tokenizes a run of Unicode scalars (a whole text, or one line of it for ROUGE-Lsum).
    func tokenize<S: Sequence>(scalars: S) -> [String] where S.Element == Unicode.Scalar {
        var tokens: [String] = []
        var current: [UInt8] = []
        current.reserveCapacity(32)
        for scalar in scalars {
            let v = scalar.value
            switch v {
            case 0x61...0x7A, 0x30...0x39: // a-z, 0-9
                current.append(UInt8(v))
            case 0x41...0x5A: // A-Z
                current.append(UInt8(v + 32))
            case 0x212A: // KELVIN SIGN lowers to "k"
                current.append(0x6B)
            case 0x130: // LATIN CAPITAL LETTER I WITH DOT ABOVE lowers to "i" + U+0307
                current.append(0x69)
                flush(&current, into: &tokens)
            default:
                flush(&current, into: &tokens)
            }
        }
        flush(&current, into: &tokens)
        return tokens
    }

    private func flush(_ current: inout [UInt8], into tokens: inout [String]) {
        guard !current.isEmpty else { return }
        var token = String(decoding: current, as: UTF8.self)
        current.removeAll(keepingCapacity: true)
        // rouge-score: "Only stem words more than 3 characters long."
        if let stemmer, token.utf8.count > 3 {
            token = stemmer.stem(token)
        }
        // rouge-score: "One final check to drop any empty or invalid tokens" (`^[a-z0-9]+$`).
        if Self.isValid(token) { tokens.append(token) }
    }

    private static func isValid(_ token: String) -> Bool {
        guard !token.utf8.isEmpty else { return false }
        for b in token.utf8 {
            guard (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) else { return false }
        }
        return true
    }
}
