import Foundation

/// BERT's WordPiece: greedy longest-match-first from the left, continuation pieces prefixed with
/// `##`; a word with an unmatched position, or longer than `max_input_chars_per_word` characters,
/// becomes one unknown token (tokenizers `models/wordpiece`).
struct WordPieceModel: TokenizerModel {
    let vocab: [ExactString: Int]
    let idToTokenTable: [Int: String]
    let unkToken: String
    let continuingSubwordPrefix: String
    let maxInputCharsPerWord: Int
    /// Longest vocabulary entry in scalars, to bound the search.
    private let longestPiece: Int

    init(
        vocab: [ExactString: Int], unkToken: String, continuingSubwordPrefix: String = "##",
        maxInputCharsPerWord: Int = 100
    ) {
        self.vocab = vocab
        var reverse: [Int: String] = [:]
        for (token, id) in vocab { reverse[id] = token.value }
        idToTokenTable = reverse
        self.unkToken = unkToken
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        longestPiece = vocab.keys.map { $0.value.unicodeScalars.count }.max() ?? 0
    }

    init(_ node: JSONNode) throws {
        var vocab: [ExactString: Int] = [:]
        for (token, idNode) in try node.required("vocab").object() { vocab[ExactString(token)] = try idNode.int() }
        let unk = try node.string("unk_token", default: "[UNK]")
        self.init(
            vocab: vocab, unkToken: unk,
            continuingSubwordPrefix: try node.string("continuing_subword_prefix", default: "##"),
            maxInputCharsPerWord: try node.int("max_input_chars_per_word", default: 100))
        if vocab[ExactString(unk)] == nil {
            throw TokenizerError.unknownToken(file: node.file, path: "\(node.path).unk_token", token: unk)
        }
    }

    var vocabularySize: Int { vocab.count }
    func tokenToID(_ token: String) -> Int? { vocab[ExactString(token)] }
    func idToToken(_ id: Int) -> String? { idToTokenTable[id] }

    func tokenize(_ piece: [Unicode.Scalar]) -> [Token] {
        let unkID = vocab[ExactString(unkToken)] ?? 0
        if piece.count > maxInputCharsPerWord {
            return [Token(id: unkID, value: unkToken, range: 0..<piece.count)]
        }
        let prefix = Array(continuingSubwordPrefix.unicodeScalars)
        var tokens: [Token] = []
        var start = 0
        var candidate = String.UnicodeScalarView()
        while start < piece.count {
            var end = min(piece.count, start + longestPiece)
            var found: Token? = nil
            while end > start {
                candidate.removeAll(keepingCapacity: true)
                if start > 0 { candidate.append(contentsOf: prefix) }
                candidate.append(contentsOf: piece[start..<end])
                let s = String(candidate)
                if let id = vocab[ExactString(s)] {
                    found = Token(id: id, value: s, range: start..<end)
                    break
                }
                end -= 1
            }
            guard let token = found else {
                return [Token(id: unkID, value: unkToken, range: 0..<piece.count)]
            }
            tokens.append(token)
            start = token.range.upperBound
        }
        return tokens
    }
}
