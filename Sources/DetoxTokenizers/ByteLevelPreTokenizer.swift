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
        for i in splits.indices where splits[i].tokens == nil { Self.mapToBytes(&splits[i].text) }
    }

    /// Replaces every scalar by the printable characters of its UTF-8 bytes; all of them keep the
    /// scalar's alignment.
    static func mapToBytes(_ text: inout NormalizedText) {
        let table = ByteLevelTable.byteToScalar
        if text.scalars.allSatisfy(\.isASCII) {
            for k in text.scalars.indices { text.scalars[k] = table[Int(text.scalars[k].value)] }
            return
        }
        var scalars: [Unicode.Scalar] = []
        var alignments: [Span] = []
        scalars.reserveCapacity(text.count * 3)
        alignments.reserveCapacity(text.count * 3)
        for (s, align) in zip(text.scalars, text.alignments) {
            UTF8.encode(s) { byte in
                scalars.append(table[Int(byte)])
                alignments.append(align)
            }
        }
        text.scalars = scalars
        text.alignments = alignments
    }
}
