import Foundation

/// BERT's WordPiece: greedy longest-match-first from the left, continuation pieces prefixed with
/// `##`; a word with an unmatched position, or longer than `max_input_chars_per_word` characters,
/// becomes one unknown token (tokenizers `models/wordpiece`).
struct WordPieceModel: TokenizerModel {
    let vocab: [ExactString: Int]
    let idToTokenTable: [Int: String]
    let unkToken: String
    /// The unknown token's id (0 when the vocabulary lacks it; loading from JSON rejects that).
    private let unkID: Int
    let continuingSubwordPrefix: String
    let maxInputCharsPerWord: Int
    /// Every entry by its scalars (word starts), and the entries that begin with the continuing
    /// prefix by the scalars after it (word continuations), for longest-match search without
    /// building candidate strings.
    private let starts: ScalarTrie
    private let continuations: ScalarTrie

    init(
        vocab: [ExactString: Int], unkToken: String, continuingSubwordPrefix: String = "##",
        maxInputCharsPerWord: Int = 100
    ) {
        self.vocab = vocab
        var reverse: [Int: String] = [:]
        for (token, id) in vocab { reverse[id] = token.value }
        idToTokenTable = reverse
        self.unkToken = unkToken
        unkID = vocab[ExactString(unkToken)] ?? 0
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        var starts = ScalarTrie()
        var continuations = ScalarTrie()
        let prefixLength = continuingSubwordPrefix.unicodeScalars.count
        for (token, id) in vocab {
            let scalars = Array(token.value.unicodeScalars)
            starts.insert(scalars, value: id)
            if token.value.hasScalarPrefix(continuingSubwordPrefix) {
                continuations.insert(scalars.dropFirst(prefixLength), value: id)
            }
        }
        self.starts = starts
        self.continuations = continuations
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
        if piece.count > maxInputCharsPerWord {
            return [Token(id: unkID, value: unkToken, range: 0..<piece.count)]
        }
        var tokens: [Token] = []
        var start = 0
        while start < piece.count {
            let trie = start == 0 ? starts : continuations
            guard let (end, id) = trie.longestPrefix(of: piece, from: start) else {
                return [Token(id: unkID, value: unkToken, range: 0..<piece.count)]
            }
            tokens.append(Token(id: id, value: idToTokenTable[id] ?? "", range: start..<end))
            start = end
        }
        return tokens
    }
}

/// A trie over Unicode scalars: the longest key that starts a piece at a given position, found in
/// one walk. Scalars map one-to-one to UTF-8, so matches are exact (as `ExactString`).
struct ScalarTrie: Sendable {
    /// children[node] maps a scalar to the child node index.
    private var children: [[UInt32: Int32]] = [[:]]
    private var values: [Int] = [-1]

    mutating func insert<C: Collection<Unicode.Scalar>>(_ key: C, value: Int) {
        var node = 0
        for s in key {
            if let next = children[node][s.value] {
                node = Int(next)
            } else {
                children.append([:])
                values.append(-1)
                let next = Int32(children.count - 1)
                children[node][s.value] = next
                node = Int(next)
            }
        }
        if values[node] < 0 { values[node] = value }
    }

    /// The end and value of the longest non-empty key that is a prefix of `scalars[start...]`.
    func longestPrefix(of scalars: [Unicode.Scalar], from start: Int) -> (end: Int, value: Int)? {
        var node = 0
        var best: (end: Int, value: Int)? = nil
        var i = start
        while i < scalars.count, let next = children[node][scalars[i].value] {
            node = Int(next)
            i += 1
            if values[node] >= 0 { best = (i, values[node]) }
        }
        return best
    }
}
