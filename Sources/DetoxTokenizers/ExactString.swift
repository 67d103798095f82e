/// A string compared and hashed by its exact UTF-8 bytes.
///
/// Swift's `String` equality is canonical equivalence (`"é" == "e\u{301}"`), but vocabularies
/// treat those as different tokens with different ids, so every vocabulary is keyed by this.
struct ExactString: Hashable, Sendable {
    let value: String

    init(_ value: String) {
        self.value = value
    }

    static func == (lhs: ExactString, rhs: ExactString) -> Bool {
        lhs.value.utf8.elementsEqual(rhs.value.utf8)
    }

    func hash(into hasher: inout Hasher) {
        var copy = value
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

extension String {
    /// Same bytes (not merely canonically equivalent).
    func isExactly(_ other: String) -> Bool { utf8.elementsEqual(other.utf8) }

    /// Prefix test on Unicode scalars (`hasPrefix` compares grapheme clusters, so `"##🏽"` does
    /// not start with `"##"` there).
    func hasScalarPrefix(_ prefix: String) -> Bool {
        utf8.starts(with: prefix.utf8)
    }
}
