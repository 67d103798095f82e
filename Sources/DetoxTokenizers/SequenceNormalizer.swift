/// Applies normalizers one after the other.
struct SequenceNormalizer: Normalizer {
    let normalizers: [any Normalizer]

    func normalize(_ text: inout NormalizedText) {
        for n in normalizers { n.normalize(&text) }
    }
}
