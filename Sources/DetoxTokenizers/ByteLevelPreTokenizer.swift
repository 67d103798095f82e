/// GPT-2 byte-level pre-tokenization: optional leading space, the GPT-2 split expression, then
/// every UTF-8 byte mapped to a printable character (tokenizers `pre_tokenizers/byte_level.rs`).
struct ByteLevelPreTokenizer: PreTokenizer {
    let addPrefixSpace: Bool
    let useRegex: Bool

    func preTokenize(_ splits: inout [TextSplit]) {
        splitEach(&splits) { piece in
            var text = piece
            if addPrefixSpace, text.scalars.first != " " { text.prepend([" "]) }
            return useRegex ? text.split(.gpt2, behavior: .isolated) : [text]
        }
        for i in splits.indices where splits[i].tokens == nil {
            var changes: [(Unicode.Scalar, Int)] = []
            changes.reserveCapacity(splits[i].text.count * 2)
            for s in splits[i].text.scalars {
                var first = true
                UTF8.encode(s) { byte in
                    changes.append((ByteLevelTable.byteToScalar[Int(byte)], first ? 0 : 1))
                    first = false
                }
            }
            splits[i].text.transform(changes)
        }
    }
}
