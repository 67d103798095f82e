import Foundation

/// SentencePiece's unigram language model with Viterbi decoding (tokenizers `models/unigram`).
///
/// - Scores are log probabilities; an unknown character costs `min_score - 10`.
/// - A later candidate replaces the best path into a position only when strictly better.
/// - Consecutive unknown characters are fused into one unknown token.
/// - With `byte_fallback`, an unknown piece becomes `<0xXX>` tokens when they all exist.
struct UnigramModel: TokenizerModel {
    let pieces: [String]
    let scores: [Double]
    let unkID: Int?
    let byteFallback: Bool
    private let pieceToID: [ExactString: Int]
    private let trie: ByteTrie
    private let unkScore: Double
    /// Tokens of the words seen so far (tokenizers' Unigram keeps such a cache too).
    private let cache = WordCache()

    private static let unkPenalty = 10.0

    init(vocab: [(String, Double)], unkID: Int?, byteFallback: Bool) {
        pieces = vocab.map(\.0)
        scores = vocab.map(\.1)
        self.unkID = unkID
        self.byteFallback = byteFallback
        var map: [ExactString: Int] = [:]
        var trie = ByteTrie()
        for (i, (piece, _)) in vocab.enumerated() {
            if map[ExactString(piece)] == nil { map[ExactString(piece)] = i }
            trie.insert(Array(piece.utf8), value: Int32(i))
        }
        // Duplicates: the trie keeps the first id, like the token map.
        pieceToID = map
        self.trie = trie
        unkScore = (scores.min() ?? 0) - Self.unkPenalty
    }

    init(_ node: JSONNode) throws {
        let vocabNode = try node.required("vocab")
        var vocab: [(String, Double)] = []
        for entry in try vocabNode.array() {
            let pair = try entry.array()
            guard pair.count == 2 else { throw entry.mismatch("a [piece, score] pair") }
            vocab.append((try pair[0].string(), try pair[1].double()))
        }
        let unk = try node["unk_id"]?.int()
        if let unk, unk < 0 || unk >= vocab.count {
            throw try node.required("unk_id").mismatch("an id below the vocabulary size \(vocab.count)")
        }
        self.init(vocab: vocab, unkID: unk, byteFallback: try node.bool("byte_fallback", default: false))
    }

    var vocabularySize: Int { pieces.count }
    func tokenToID(_ token: String) -> Int? { pieceToID[ExactString(token)] }
    func idToToken(_ id: Int) -> String? { id >= 0 && id < pieces.count ? pieces[id] : nil }

    // MARK: - Viterbi

    private struct Node {
        var score: Double = 0
        var start: Int = -1
        var id: Int = -1
    }

    func tokenize(_ piece: [Unicode.Scalar]) -> [Token] {
        cache.tokens(of: piece, bestSegmentation)
    }

    /// The Viterbi segmentation of `piece`.
    private func bestSegmentation(_ piece: [Unicode.Scalar]) -> [Token] {
        if piece.isEmpty { return [] }
        // UTF-8 bytes of the piece and, for each byte position, the scalar index it starts.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(piece.count * 3)
        var scalarAtByte: [Int] = []
        scalarAtByte.reserveCapacity(piece.count * 3 + 1)
        for (i, s) in piece.enumerated() {
            UTF8.encode(s) { b in
                bytes.append(b)
                scalarAtByte.append(i)
            }
        }
        scalarAtByte.append(piece.count)
        let size = bytes.count
        var best = [Node](repeating: Node(), count: size + 1)
        best[0].start = 0
        var startsAt = 0
        bytes.withUnsafeBufferPointer { buffer in
            while startsAt < size {
                let scoreHere = best[startsAt].score
                let charLength = Self.utf8Length(buffer[startsAt])
                var hasSingle = false
                trie.forEachPrefix(of: buffer, from: startsAt) { end, id in
                    let candidate = scoreHere + scores[Int(id)]
                    if best[end].start < 0 || candidate > best[end].score {
                        best[end] = Node(score: candidate, start: startsAt, id: Int(id))
                    }
                    if end - startsAt == charLength { hasSingle = true }
                }
                if !hasSingle, let unkID {
                    let end = min(startsAt + charLength, size)
                    let candidate = scoreHere + unkScore
                    if best[end].start < 0 || candidate > best[end].score {
                        best[end] = Node(score: candidate, start: startsAt, id: unkID)
                    }
                }
                startsAt += charLength
            }
        }
        // Backtrack, fusing consecutive unknowns.
        var ranges: [(Range<Int>, Int)] = [] // byte ranges, id
        var end = size
        var pendingUnkStart: Int? = nil
        var pendingUnkEnd = 0
        while end > 0 {
            let node = best[end]
            guard node.start >= 0, node.start < end else { break }
            if let unkID, node.id == unkID {
                if pendingUnkStart == nil { pendingUnkEnd = end }
                pendingUnkStart = node.start
            } else {
                if let s = pendingUnkStart {
                    ranges.append((s..<pendingUnkEnd, unkID ?? 0))
                    pendingUnkStart = nil
                }
                ranges.append((node.start..<end, node.id))
            }
            end = node.start
        }
        if let s = pendingUnkStart { ranges.append((s..<pendingUnkEnd, unkID ?? 0)) }
        ranges.reverse()

        var tokens: [Token] = []
        tokens.reserveCapacity(ranges.count)
        for (byteRange, _) in ranges {
            let scalarRange = scalarAtByte[byteRange.lowerBound]..<scalarAtByte[byteRange.upperBound]
            let value = String(decoding: bytes[byteRange], as: UTF8.self)
            if let id = pieceToID[ExactString(value)] {
                tokens.append(Token(id: id, value: value, range: scalarRange))
            } else if byteFallback, let byteIDs = byteFallbackIDs(bytes[byteRange]) {
                // Every byte token shares the range of the whole piece, as tokenizers does.
                for (id, b) in zip(byteIDs, bytes[byteRange]) {
                    tokens.append(Token(id: id, value: Self.byteToken(b), range: scalarRange))
                }
            } else if let unkID {
                tokens.append(Token(id: unkID, value: value, range: scalarRange))
            }
        }
        return tokens
    }

    private static func byteToken(_ b: UInt8) -> String {
        let hex = String(b, radix: 16, uppercase: true)
        return "<0x" + (hex.count == 1 ? "0" + hex : hex) + ">"
    }

    private func byteFallbackIDs(_ bytes: ArraySlice<UInt8>) -> [Int]? {
        var ids: [Int] = []
        for b in bytes {
            guard let id = pieceToID[ExactString(Self.byteToken(b))] else { return nil }
            ids.append(id)
        }
        return ids
    }

    @inline(__always) static func utf8Length(_ lead: UInt8) -> Int {
        if lead < 0x80 { return 1 }
        if lead >> 5 == 0b110 { return 2 }
        if lead >> 4 == 0b1110 { return 3 }
        if lead >> 3 == 0b11110 { return 4 }
        return 1
    }
}
