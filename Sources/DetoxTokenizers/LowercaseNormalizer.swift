/// Full Unicode lowercasing, scalar by scalar (Rust's `char::to_lowercase`).
struct LowercaseNormalizer: Normalizer {
    func normalize(_ text: inout NormalizedText) {
        text.map { Array($0.properties.lowercaseMapping.unicodeScalars) }
    }
}
