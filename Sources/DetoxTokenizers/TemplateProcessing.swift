/// Special tokens placed by templates such as `[CLS] $A [SEP] $B:1 [SEP]:1`
/// (tokenizers `processors/template.rs`).
struct TemplateProcessing: PostProcessor {
    enum Piece: Sendable {
        case sequence(index: Int, typeID: Int)
        case special(name: String, typeID: Int)
    }

    let single: [Piece]
    let pair: [Piece]
    /// Special token name → its ids and token strings.
    let specialTokens: [String: (ids: [Int], tokens: [String])]

    init(single: [Piece], pair: [Piece], specialTokens: [String: (ids: [Int], tokens: [String])]) {
        self.single = single
        self.pair = pair
        self.specialTokens = specialTokens
    }

    init(_ node: JSONNode) throws {
        var specials: [String: (ids: [Int], tokens: [String])] = [:]
        if let table = node["special_tokens"] {
            for (name, entry) in try table.object() {
                let ids = try entry.required("ids").array().map { try $0.int() }
                let tokens = try entry.required("tokens").array().map { try $0.string() }
                guard ids.count == tokens.count else {
                    throw entry.mismatch("as many ids as tokens")
                }
                specials[name] = (ids, tokens)
            }
        }
        func pieces(_ key: String) throws -> [Piece] {
            try node.required(key).array().map { item in
                if let seq = item["Sequence"] {
                    let id = try seq.required("id").string()
                    guard id == "A" || id == "B" else { throw seq.unsupported("sequence id", id) }
                    return .sequence(index: id == "A" ? 0 : 1, typeID: try seq.int("type_id", default: 0))
                }
                if let sp = item["SpecialToken"] {
                    let name = try sp.required("id").string()
                    guard specials[name] != nil else {
                        throw TokenizerError.unknownToken(file: sp.file, path: "\(sp.path).id", token: name)
                    }
                    return .special(name: name, typeID: try sp.int("type_id", default: 0))
                }
                throw item.mismatch("a {\"Sequence\"} or {\"SpecialToken\"} piece")
            }
        }
        self.init(single: try pieces("single"), pair: try pieces("pair"), specialTokens: specials)
    }

    func addedTokens(isPair: Bool) -> Int {
        (isPair ? pair : single).reduce(0) { total, piece in
            if case .special(let name, _) = piece { return total + (specialTokens[name]?.ids.count ?? 0) }
            return total
        }
    }

    func process(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        let template = encodings.count > 1 ? pair : single
        var out = Encoding()
        out.reserveCapacity(encodings.reduce(addedTokens(isPair: encodings.count > 1)) { $0 + $1.count })
        for piece in template {
            switch piece {
            case .sequence(let index, let typeID):
                guard index < encodings.count else { continue }
                var e = encodings[index]
                e.typeIDs = [Int](repeating: typeID, count: e.count)
                out.append(contentsOf: e)
            case .special(let name, let typeID):
                guard addSpecialTokens, let sp = specialTokens[name] else { continue }
                for (id, token) in zip(sp.ids, sp.tokens) {
                    out.append(id: id, token: token, typeID: typeID, offsets: 0..<0, special: true, sequence: nil)
                }
            }
        }
        return [out]
    }
}
