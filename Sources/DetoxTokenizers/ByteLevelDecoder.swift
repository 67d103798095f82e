/// Maps byte-level characters back to bytes and decodes UTF-8 (invalid sequences become U+FFFD).
/// A token with a character outside the table is kept as its own UTF-8 bytes.
struct ByteLevelDecoder: TokenDecoder {
    func decodeChain(_ tokens: [String]) -> [String] {
        var bytes: [UInt8] = []
        for token in tokens {
            var tokenBytes: [UInt8] = []
            var ok = true
            for s in token.unicodeScalars {
                guard let b = ByteLevelTable.scalarToByte[s.value] else {
                    ok = false
                    break
                }
                tokenBytes.append(b)
            }
            bytes += ok ? tokenBytes : Array(token.utf8)
        }
        return [String(decoding: bytes, as: UTF8.self)]
    }
}
