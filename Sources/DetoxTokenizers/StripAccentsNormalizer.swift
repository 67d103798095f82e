/// Removes nonspacing marks (category Mn); meant to follow an NFD/NFKD normalizer.
struct StripAccentsNormalizer: Normalizer {
    func normalize(_ text: inout NormalizedText) {
        text.filter { $0.properties.generalCategory != .nonspacingMark }
    }
}
