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

    func normalize(_ text: inout NormalizedText) {
        let whole = text.string
        let target = Array(Self.apply(form, to: whole).unicodeScalars)
        if target == text.scalars || text.scalars.isEmpty { return }
        var changes: [(Unicode.Scalar, Int)] = []
        changes.reserveCapacity(target.count)
        for s in text.scalars {
            if s.isASCII {
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
