/// Removes up to `start` leading and `stop` trailing occurrences of a character from every token.
struct StripDecoder: TokenDecoder {
    let content: Unicode.Scalar
    let start: Int
    let stop: Int

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { token in
            let scalars = Array(token.unicodeScalars)
            var lo = 0
            while lo < min(start, scalars.count), scalars[lo] == content { lo += 1 }
            var hi = scalars.count
            var removed = 0
            while removed < stop, hi > lo, scalars[hi - 1] == content {
                hi -= 1
                removed += 1
            }
            return String(String.UnicodeScalarView(scalars[lo..<hi]))
        }
    }
}
