/// Puts a fixed prefix before non-empty text.
struct PrependNormalizer: Normalizer {
    let prefix: [Unicode.Scalar]

    func normalize(_ text: inout NormalizedText) {
        text.prepend(prefix)
    }
}
