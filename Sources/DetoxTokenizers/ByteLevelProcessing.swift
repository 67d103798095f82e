/// The byte-level post-processor: trims the offsets of tokens that start or end with encoded
/// spaces (`Ġ`), adds no tokens.
struct ByteLevelProcessing: PostProcessor {
    let trimOffsets: Bool
    let addPrefixSpace: Bool

    func addedTokens(isPair: Bool) -> Int { 0 }

    func process(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        guard trimOffsets else { return encodings }
        var encodings = encodings
        for i in encodings.indices { Self.trimOffsets(&encodings[i], addPrefixSpace: addPrefixSpace) }
        return encodings
    }

    /// tokenizers `pre_tokenizers/byte_level.rs` `process_offsets`.
    static func trimOffsets(_ encoding: inout Encoding, addPrefixSpace: Bool) {
        let space = ByteLevelTable.byteToScalar[0x20]
        func isSpace(_ s: Unicode.Scalar) -> Bool { s == space || s.isWhiteSpace }
        for i in encoding.tokens.indices {
            let scalars = encoding.tokens[i].unicodeScalars
            guard let first = scalars.first, let last = scalars.last, isSpace(first) || isSpace(last) else { continue }
            var leading = 0
            for s in scalars { if isSpace(s) { leading += 1 } else { break } }
            var trailing = 0
            for s in scalars.reversed() { if isSpace(s) { trailing += 1 } else { break } }
            guard leading > 0 || trailing > 0 else { continue }
            var start = encoding.offsets[i].lowerBound
            var end = encoding.offsets[i].upperBound
            if leading > 0 {
                let isFirst = i == 0 || start == 0
                if isFirst, addPrefixSpace, leading == 1 { leading = 0 }
                start = min(start + leading, end)
            }
            if trailing > 0, end >= trailing {
                end = max(end - trailing, start)
            }
            encoding.offsets[i] = start..<end
        }
    }
}
