/// `<s> A </s>` / `<s> A </s> </s> B </s>`, every type id 0, offsets optionally trimmed of the
/// spaces byte-level tokens carry (tokenizers `processors/roberta.rs`).
struct RobertaProcessing: PostProcessor {
    let sep: (String, Int)
    let cls: (String, Int)
    let trimOffsets: Bool
    let addPrefixSpace: Bool

    func addedTokens(isPair: Bool) -> Int { isPair ? 4 : 2 }

    func process(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        var encodings = encodings
        for i in encodings.indices {
            if trimOffsets { ByteLevelProcessing.trimOffsets(&encodings[i], addPrefixSpace: addPrefixSpace) }
            encodings[i].typeIDs = [Int](repeating: 0, count: encodings[i].count)
        }
        guard addSpecialTokens else { return encodings }
        var out = Encoding()
        out.reserveCapacity(encodings.prefix(2).reduce(2 * encodings.count) { $0 + $1.count })
        for (i, e) in encodings.prefix(2).enumerated() {
            if i == 0 {
                out.append(id: cls.1, token: cls.0, typeID: 0, offsets: 0..<0, special: true, sequence: nil)
            } else {
                out.append(id: sep.1, token: sep.0, typeID: 0, offsets: 0..<0, special: true, sequence: nil)
            }
            out.append(contentsOf: e)
            out.append(id: sep.1, token: sep.0, typeID: 0, offsets: 0..<0, special: true, sequence: nil)
        }
        return [out]
    }
}
