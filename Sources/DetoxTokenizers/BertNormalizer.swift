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
        s == "\t" || s == "\n" || s == "\r" || s.properties.isWhitespace
    }

    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
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
            text.filter { !($0.value == 0 || $0.value == 0xFFFD || Self.isControl($0)) }
            text.map { Self.isWhitespace($0) ? [" "] : [$0] }
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
            text.filter { $0.properties.generalCategory != .nonspacingMark }
        }
        if lowercase {
            LowercaseNormalizer().normalize(&text)
        }
    }
}
