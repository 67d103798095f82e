/// The decoding stage (`"decoder"` in `tokenizer.json`): turns token strings back into text.
protocol TokenDecoder: Sendable {
    func decodeChain(_ tokens: [String]) -> [String]
}

// MARK: - Factory

enum TokenDecoderFactory {
    static func make(_ node: JSONNode) throws -> any TokenDecoder {
        let type = try node.stageType()
        switch type {
        case "Metaspace":
            let (replacement, scheme) = try MetaspacePreTokenizer.readCommon(node)
            return MetaspaceDecoder(replacement: replacement, prependScheme: scheme)
        case "WordPiece":
            return WordPieceDecoder(
                prefix: try node.string("prefix", default: "##"), cleanup: try node.bool("cleanup", default: true))
        case "ByteLevel":
            return ByteLevelDecoder()
        case "Sequence":
            let items = try node.required("decoders").array()
            return SequenceDecoder(decoders: try items.map(make))
        case "Replace":
            return ReplaceDecoder(
                pattern: try PatternReader.read(try node.required("pattern")),
                content: Array(try node.required("content").string().unicodeScalars))
        case "Fuse":
            return FuseDecoder()
        case "Strip":
            let contentNode = try node.required("content")
            let content = Array(try contentNode.string().unicodeScalars)
            guard content.count == 1 else { throw contentNode.mismatch("a single character") }
            return StripDecoder(
                content: content[0], start: try node.int("start", default: 0), stop: try node.int("stop", default: 0))
        case "ByteFallback":
            return ByteFallbackDecoder()
        default:
            throw TokenizerError.unsupported(file: node.file, path: "\(node.path).type", kind: "decoder", value: type)
        }
    }
}
