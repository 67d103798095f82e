/// Joins all tokens into one string.
struct FuseDecoder: TokenDecoder {
    func decodeChain(_ tokens: [String]) -> [String] {
        [tokens.joined()]
    }
}
