/// BERT's normalizer: clean control characters, map whitespace to spaces, space out CJK
/// ideographs, strip accents and lowercase (tokenizers `normalizers/bert.rs`).
struct BertNormalizer: Normalizer {
    let cleanText: Bool
    let handleChineseChars: Bool
    /// `nil` follows `lowercase`.
    let stripAccents: Bool?
    let lowercase: Bool

    // MARK: - Character classes

    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s.isWhiteSpace
    }

    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        if s.isASCII { return s.value < 0x20 || s.value == 0x7F }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    static func isChineseChar(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
            0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    // MARK: - Normalizer

    func normalize(_ text: inout NormalizedText) {
        if cleanText {
            func removes(_ s: Unicode.Scalar) -> Bool { s.value == 0 || s.value == 0xFFFD || Self.isControl(s) }
            if text.scalars.contains(where: removes) { text.filter { !removes($0) } }
            if text.scalars.contains(where: { $0 != " " && Self.isWhitespace($0) }) {
                text.map { Self.isWhitespace($0) ? [" "] : [$0] }
            }
        }
        if handleChineseChars, text.scalars.contains(where: Self.isChineseChar) {
            var changes: [(Unicode.Scalar, Int)] = []
            changes.reserveCapacity(text.count + 8)
            for s in text.scalars {
                if Self.isChineseChar(s) {
                    changes.append((" ", 0))
                    changes.append((s, 1))
                    changes.append((" ", 1))
                } else {
                    changes.append((s, 0))
                }
            }
            text.transform(changes)
        }
        if stripAccents ?? lowercase {
            UnicodeNormalizer(form: .nfd).normalize(&text)
            // Nonspacing marks start at U+0300.
            func isMark(_ s: Unicode.Scalar) -> Bool {
                s.value >= 0x300 && s.properties.generalCategory == .nonspacingMark
            }
            if text.scalars.contains(where: isMark) { text.filter { !isMark($0) } }
        }
        if lowercase {
            LowercaseNormalizer().normalize(&text)
        }
    }
}
