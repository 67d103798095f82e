/// `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]` with type ids 0 then 1.
struct BertProcessing: PostProcessor {
    let sep: (String, Int)
    let cls: (String, Int)

    func addedTokens(isPair: Bool) -> Int { isPair ? 3 : 2 }

    func process(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        guard addSpecialTokens else { return encodings }
        var out = Encoding()
        out.append(id: cls.1, token: cls.0, typeID: 0, offsets: 0..<0, special: true, sequence: nil)
        for (i, e) in encodings.prefix(2).enumerated() {
            var e = e
            e.typeIDs = [Int](repeating: i, count: e.count)
            out.append(contentsOf: e)
            out.append(id: sep.1, token: sep.0, typeID: i, offsets: 0..<0, special: true, sequence: nil)
        }
        return [out]
    }
}
