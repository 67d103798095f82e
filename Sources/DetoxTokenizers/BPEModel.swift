import Foundation

/// Byte-pair encoding with merge ranks (tokenizers `models/bpe`): a word starts as its characters
/// and the adjacent pair with the lowest merge rank (leftmost on ties) is merged until no pair has
/// a rank. Dropout is not supported (it is off for inference).
struct BPEModel: TokenizerModel {
    let vocab: [ExactString: Int]
    let idToTokenTable: [Int: String]
    /// (left id, right id) → (rank, merged id), packed into one key.
    private let merges: [UInt64: (rank: Int, id: Int)]
    let unkToken: String?
    let continuingSubwordPrefix: String?
    let endOfWordSuffix: String?
    let fuseUnk: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool
    /// Ids of single-scalar vocabulary entries, so plain words need no per-character strings.
    private let scalarIDs: [UInt32: Int]
    /// Tokens of the words seen so far.
    private let cache = WordCache()

    init(
        vocab: [ExactString: Int], merges: [(String, String)], unkToken: String?,
        continuingSubwordPrefix: String? = nil,
        endOfWordSuffix: String? = nil, fuseUnk: Bool = false, byteFallback: Bool = false, ignoreMerges: Bool = false,
        file: String = "merges", path: String = "$"
    ) throws {
        self.vocab = vocab
        var reverse: [Int: String] = [:]
        for (token, id) in vocab { reverse[id] = token.value }
        idToTokenTable = reverse
        let prefixLength = continuingSubwordPrefix?.count ?? 0
        var table: [UInt64: (rank: Int, id: Int)] = [:]
        for (rank, (a, b)) in merges.enumerated() {
            guard let left = vocab[ExactString(a)] else {
                throw TokenizerError.unknownToken(file: file, path: "\(path)[\(rank)]", token: a)
            }
            guard let right = vocab[ExactString(b)] else {
                throw TokenizerError.unknownToken(file: file, path: "\(path)[\(rank)]", token: b)
            }
            let mergedString = a + String(b.dropFirst(prefixLength))
            guard let merged = vocab[ExactString(mergedString)] else {
                throw TokenizerError.unknownToken(file: file, path: "\(path)[\(rank)]", token: mergedString)
            }
            let key = UInt64(UInt32(truncatingIfNeeded: left)) << 32 | UInt64(UInt32(truncatingIfNeeded: right))
            if table[key] == nil { table[key] = (rank, merged) }
        }
        self.merges = table
        var scalarIDs: [UInt32: Int] = [:]
        for (token, id) in vocab {
            let scalars = token.value.unicodeScalars
            if scalars.count == 1, let first = scalars.first { scalarIDs[first.value] = id }
        }
        self.scalarIDs = scalarIDs
        self.unkToken = unkToken
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.endOfWordSuffix = endOfWordSuffix
        self.fuseUnk = fuseUnk
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
    }

    init(_ node: JSONNode) throws {
        if let dropout = node["dropout"], try dropout.double() != 0 {
            throw dropout.unsupported("BPE dropout", "\(try dropout.double())")
        }
        var vocab: [ExactString: Int] = [:]
        for (token, idNode) in try node.required("vocab").object() { vocab[ExactString(token)] = try idNode.int() }
        let mergesNode = try node.required("merges")
        var merges: [(String, String)] = []
        for entry in try mergesNode.array() {
            if case .string = entry.value {
                // Older form: "a b".
                let line = try entry.string()
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw entry.mismatch("a merge \"left right\"") }
                merges.append((String(parts[0]), String(parts[1])))
            } else {
                let pair = try entry.array()
                guard pair.count == 2 else { throw entry.mismatch("a merge [left, right]") }
                merges.append((try pair[0].string(), try pair[1].string()))
            }
        }
        func optionalString(_ key: String) throws -> String? {
            guard let v = try node[key]?.string(), !v.isEmpty else { return nil }
            return v
        }
        try self.init(
            vocab: vocab, merges: merges, unkToken: try optionalString("unk_token"),
            continuingSubwordPrefix: try optionalString("continuing_subword_prefix"),
            endOfWordSuffix: try optionalString("end_of_word_suffix"),
            fuseUnk: try node.bool("fuse_unk", default: false),
            byteFallback: try node.bool("byte_fallback", default: false),
            ignoreMerges: try node.bool("ignore_merges", default: false),
            file: node.file, path: mergesNode.path)
    }

    var vocabularySize: Int { vocab.count }
    func tokenToID(_ token: String) -> Int? { vocab[ExactString(token)] }
    func idToToken(_ id: Int) -> String? { idToTokenTable[id] }

    // MARK: - Merging

    private struct Symbol {
        var id: Int
        var range: Range<Int>
    }

    func tokenize(_ piece: [Unicode.Scalar]) -> [Token] {
        cache.tokens(of: piece, mergeWord)
    }

    /// Splits `piece` into symbols and merges them.
    private func mergeWord(_ piece: [Unicode.Scalar]) -> [Token] {
        if piece.isEmpty { return [] }
        if ignoreMerges, let id = vocab[ExactString(String(String.UnicodeScalarView(piece)))] {
            return [Token(id: id, value: String(String.UnicodeScalarView(piece)), range: 0..<piece.count)]
        }
        var symbols: [Symbol] = []
        symbols.reserveCapacity(piece.count)
        var unkRun: Range<Int>? = nil
        func flushUnk() {
            if let run = unkRun, let unk = unkToken, let unkID = vocab[ExactString(unk)] {
                symbols.append(Symbol(id: unkID, range: run))
            }
            unkRun = nil
        }
        let plain = continuingSubwordPrefix == nil && endOfWordSuffix == nil
        for (i, s) in piece.enumerated() {
            if plain, let id = scalarIDs[s.value] {
                flushUnk()
                symbols.append(Symbol(id: id, range: i..<(i + 1)))
                continue
            }
            var text = String(s)
            if i > 0, let prefix = continuingSubwordPrefix { text = prefix + text }
            if i == piece.count - 1, let suffix = endOfWordSuffix { text += suffix }
            if let id = vocab[ExactString(text)] {
                flushUnk()
                symbols.append(Symbol(id: id, range: i..<(i + 1)))
                continue
            }
            if byteFallback {
                var ids: [Int] = []
                var ok = true
                UTF8.encode(s) { b in
                    let hex = String(b, radix: 16, uppercase: true)
                    if let id = vocab[ExactString("<0x" + (hex.count == 1 ? "0" + hex : hex) + ">")] {
                        ids.append(id)
                    } else {
                        ok = false
                    }
                }
                if ok {
                    flushUnk()
                    for id in ids { symbols.append(Symbol(id: id, range: i..<(i + 1))) }
                    continue
                }
            }
            if unkToken != nil {
                if fuseUnk, let run = unkRun {
                    unkRun = run.lowerBound..<(i + 1)
                } else {
                    flushUnk()
                    unkRun = i..<(i + 1)
                }
            }
        }
        flushUnk()

        // Repeatedly merge the best-ranked adjacent pair (leftmost on ties). `pairs[k]` holds the
        // merge of symbols k and k + 1, recomputed only next to the last merge.
        func merge(at k: Int) -> (rank: Int, id: Int)? {
            merges[
                UInt64(UInt32(truncatingIfNeeded: symbols[k].id)) << 32
                    | UInt64(UInt32(truncatingIfNeeded: symbols[k + 1].id))]
        }
        var pairs: [(rank: Int, id: Int)?] = []
        pairs.reserveCapacity(max(symbols.count - 1, 0))
        for k in 0..<max(symbols.count - 1, 0) { pairs.append(merge(at: k)) }
        while true {
            var bestIndex = -1
            var bestRank = Int.max
            for (k, pair) in pairs.enumerated() {
                if let pair, pair.rank < bestRank {
                    bestRank = pair.rank
                    bestIndex = k
                }
            }
            guard bestIndex >= 0, let best = pairs[bestIndex] else { break }
            symbols[bestIndex] = Symbol(
                id: best.id, range: symbols[bestIndex].range.lowerBound..<symbols[bestIndex + 1].range.upperBound)
            symbols.remove(at: bestIndex + 1)
            pairs.remove(at: bestIndex)
            if bestIndex > 0 { pairs[bestIndex - 1] = merge(at: bestIndex - 1) }
            if bestIndex < pairs.count { pairs[bestIndex] = merge(at: bestIndex) }
        }
        return symbols.map { Token(id: $0.id, value: idToTokenTable[$0.id] ?? "", range: $0.range) }
    }
}
