import Foundation

/// NFC, NFD, NFKC or NFKD normalization, keeping alignments local.
///
/// Scalar by scalar when that gives the same text as normalizing the whole string (the usual
/// case: the first scalar of a scalar's normal form replaces it, the others are insertions), like
/// tokenizers' `unicode_normalization_alignments`; otherwise (canonical reordering or composition
/// across scalars) per extended grapheme cluster.
struct UnicodeNormalizer: Normalizer {
    enum Form: Sendable { case nfc, nfd, nfkc, nfkd }
    let form: Form

    static func apply(_ form: Form, to s: String) -> String {
        switch form {
        case .nfc: return s.precomposedStringWithCanonicalMapping
        case .nfd: return s.decomposedStringWithCanonicalMapping
        case .nfkc: return s.precomposedStringWithCompatibilityMapping
        case .nfkd: return s.decomposedStringWithCompatibilityMapping
        }
    }

    /// Blocks of scalars that have no canonical decomposition, combining class 0, and never
    /// compose with a scalar before them (NFC_QC = NFD_QC = Yes): text made of them only is in NFC
    /// and NFD. Below U+00C0, Latin-1 up to the accented letters; then general punctuation and
    /// currency, CJK symbols and punctuation, CJK ideographs (with Yi and more), fullwidth forms,
    /// and the emoji planes' symbols (from Python's Unicode 14 tables; `StageTests` checks the
    /// first two facts).
    static let canonicalBlocks: [Range<UInt32>] = [
        0x0000..<0x00C0, 0x2002..<0x20D0, 0x2E00..<0x302A, 0x30FF..<0xA66F, 0xFE30..<0x101FD, 0x1E94B..<0x20000,
    ]

    /// Whether `s` alone, and any text made only of such scalars, is already in this form.
    func isStable(_ s: Unicode.Scalar) -> Bool {
        switch form {
        case .nfkc, .nfkd: return s.value < 0xA0
        case .nfc, .nfd: return s.value < 0xC0 || Self.canonicalBlocks.contains { $0.contains(s.value) }
        }
    }

    func normalize(_ text: inout NormalizedText) {
        if text.scalars.allSatisfy(isStable) { return }
        let whole = text.string
        let target = Array(Self.apply(form, to: whole).unicodeScalars)
        if target == text.scalars || text.scalars.isEmpty { return }
        var changes: [(Unicode.Scalar, Int)] = []
        changes.reserveCapacity(target.count)
        for s in text.scalars {
            if isStable(s) {
                changes.append((s, 0))
                continue
            }
            let new = Array(Self.apply(form, to: String(s)).unicodeScalars)
            NormalizedText.appendReplacement(&changes, oldCount: 1, new: new.isEmpty ? [s] : new)
        }
        if changes.map(\.0) == target {
            text.transform(changes)
            return
        }
        // Segments = a starter and the non-starters after it (where reordering happens).
        changes.removeAll(keepingCapacity: true)
        var segmentStart = 0
        let scalars = text.scalars
        for i in 1...scalars.count {
            guard i == scalars.count || scalars[i].properties.canonicalCombiningClass.rawValue == 0 else { continue }
            let segment = Array(scalars[segmentStart..<i])
            let new = Array(Self.apply(form, to: String(String.UnicodeScalarView(segment))).unicodeScalars)
            var perScalar: [(Unicode.Scalar, Int)] = []
            for s in segment {
                let n = Array(Self.apply(form, to: String(s)).unicodeScalars)
                NormalizedText.appendReplacement(&perScalar, oldCount: 1, new: n.isEmpty ? [s] : n)
            }
            if perScalar.map(\.0) == new {
                changes += perScalar
            } else {
                Self.appendComposition(&changes, oldCount: segment.count, new: new)
            }
            segmentStart = i
        }
        if changes.map(\.0) == target {
            text.transform(changes)
            return
        }
        changes.removeAll(keepingCapacity: true)
        for cluster in whole {
            let old = Array(cluster.unicodeScalars)
            let new = Array(Self.apply(form, to: String(cluster)).unicodeScalars)
            if new == old {
                for s in old { changes.append((s, 0)) }
            } else {
                Self.appendComposition(&changes, oldCount: old.count, new: new)
            }
        }
        text.transform(changes)
    }

    /// Appends the normal form `new` of `oldCount` scalars the way `unicode_normalization_alignments`
    /// aligns it: when composition shortened it, the first scalar (the starter that absorbed the
    /// marks) stands for the first old scalar and the removed ones are charged to it, so the marks
    /// left over keep the positions of the last old scalars; otherwise as `appendReplacement`.
    static func appendComposition(_ changes: inout [(Unicode.Scalar, Int)], oldCount: Int, new: [Unicode.Scalar]) {
        guard let first = new.first, new.count < oldCount else {
            NormalizedText.appendReplacement(&changes, oldCount: oldCount, new: new)
            return
        }
        changes.append((first, new.count - oldCount))
        for s in new.dropFirst() { changes.append((s, 0)) }
    }
}
