/// The post-processing stage (`"post_processor"` in `tokenizer.json`): adds special tokens around
/// the encoded sequence(s) and adjusts type ids and offsets. Receives one encoding per input
/// sequence and returns the encodings still to be concatenated (usually one).
protocol PostProcessor: Sendable {
    /// How many special tokens `process` adds for one sequence or a pair.
    func addedTokens(isPair: Bool) -> Int
    func process(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding]
}

// MARK: - Factory

enum PostProcessorFactory {
    static func make(_ node: JSONNode, model: any TokenizerModel, added: [AddedToken]) throws -> any PostProcessor {
        let type = try node.stageType()
        func special(_ key: String) throws -> (String, Int) {
            let pairNode = try node.required(key)
            let pair = try pairNode.array()
            guard pair.count == 2 else { throw pairNode.mismatch("a [token, id] pair") }
            return (try pair[0].string(), try pair[1].int())
        }
        switch type {
        case "TemplateProcessing":
            return try TemplateProcessing(node)
        case "BertProcessing":
            return BertProcessing(sep: try special("sep"), cls: try special("cls"))
        case "RobertaProcessing":
            return RobertaProcessing(
                sep: try special("sep"), cls: try special("cls"),
                trimOffsets: try node.bool("trim_offsets", default: true),
                addPrefixSpace: try node.bool("add_prefix_space", default: true))
        case "ByteLevel":
            return ByteLevelProcessing(
                trimOffsets: try node.bool("trim_offsets", default: true),
                addPrefixSpace: try node.bool("add_prefix_space", default: true))
        case "Sequence":
            let items = try node.required("processors").array()
            return SequenceProcessing(processors: try items.map { try make($0, model: model, added: added) })
        default:
            throw TokenizerError.unsupported(
                file: node.file, path: "\(node.path).type", kind: "post-processor", value: type)
        }
    }
}
