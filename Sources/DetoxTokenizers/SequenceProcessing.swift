/// Applies post-processors one after the other.
struct SequenceProcessing: PostProcessor {
    let processors: [any PostProcessor]

    func addedTokens(isPair: Bool) -> Int {
        processors.reduce(0) { $0 + $1.addedTokens(isPair: isPair) }
    }

    func process(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        processors.reduce(encodings) { $1.process($0, addSpecialTokens: addSpecialTokens) }
    }
}
