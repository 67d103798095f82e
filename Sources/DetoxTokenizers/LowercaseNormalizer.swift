/// Full Unicode lowercasing, scalar by scalar (Rust's `char::to_lowercase`).
struct LowercaseNormalizer: Normalizer {
    func normalize(_ text: inout NormalizedText) {
        // In place while every scalar lowercases to one scalar; from the first that does not, as a
        // transformation of the rest.
        var k = 0
        while k < text.count {
            let s = text.scalars[k]
            if s.isASCII {
                if (0x41...0x5A).contains(s.value) { text.scalars[k] = Unicode.Scalar(UInt8(s.value + 0x20)) }
            } else {
                let lower = s.properties.lowercaseMapping.unicodeScalars
                guard lower.count == 1, let only = lower.first else { break }
                text.scalars[k] = only
            }
            k += 1
        }
        guard k < text.count else { return }
        var changes: [(Unicode.Scalar, Int)] = []
        for s in text.scalars[k...] {
            let lower = s.properties.lowercaseMapping.unicodeScalars
            if lower.isEmpty { changes.append((s, 0)) }
            for (i, l) in lower.enumerated() { changes.append((l, i == 0 ? 0 : 1)) }
        }
        text.transform(range: k..<text.count, changes)
    }
}
