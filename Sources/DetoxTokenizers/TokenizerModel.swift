import Foundation

/// A token produced by a model or an added-token match: its id, its string, and the range of
/// scalars it covers in the piece it came from.
struct Token: Sendable {
    var id: Int
    var value: String
    var range: Range<Int>
}

/// The model stage (`"model"` in `tokenizer.json`): turns one pre-tokenized piece into tokens.
protocol TokenizerModel: Sendable {
    func tokenize(_ piece: [Unicode.Scalar]) -> [Token]
    func tokenToID(_ token: String) -> Int?
    func idToToken(_ id: Int) -> String?
    var vocabularySize: Int { get }
}

// MARK: - Factory

enum ModelFactory {
    static func make(_ node: JSONNode) throws -> any TokenizerModel {
        // Old files may omit "type"; infer it from the members like tokenizers does.
        let type: String
        if let t = node["type"] {
            type = try t.string()
        } else if node["merges"] != nil {
            type = "BPE"
        } else if node["continuing_subword_prefix"] != nil || node["max_input_chars_per_word"] != nil {
            type = "WordPiece"
        } else if node["unk_id"] != nil {
            type = "Unigram"
        } else {
            throw node.mismatch("a model with a \"type\"")
        }
        switch type {
        case "Unigram": return try UnigramModel(node)
        case "WordPiece": return try WordPieceModel(node)
        case "BPE": return try BPEModel(node)
        default:
            throw TokenizerError.unsupported(file: node.file, path: "\(node.path).type", kind: "model", value: type)
        }
    }
}
