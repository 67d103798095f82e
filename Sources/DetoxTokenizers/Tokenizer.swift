import Foundation

/// A Hugging Face–compatible tokenizer: normalizer → pre-tokenizer → model → post-processor, with
/// added tokens matched before the model, and a decoder.
///
/// Build one from a folder (`load(from:)`, preferring `tokenizer.json` and falling back to
/// `spiece.model`, `vocab.txt` or `vocab.json` + `merges.txt`) or from a `tokenizer.json` file.
/// Encodings match `transformers`' fast tokenizers id for id, with offsets in Unicode scalars.
public struct Tokenizer: Sendable {
    let normalizer: (any Normalizer)?
    let preTokenizer: (any PreTokenizer)?
    let model: any TokenizerModel
    var postProcessor: (any PostProcessor)?
    let decoder: (any TokenDecoder)?
    let addedVocabulary: AddedVocabulary

    /// Applies transformers' `clean_up_tokenization` after decoding (from
    /// `tokenizer_config.json`'s `clean_up_tokenization_spaces`; `false` without one).
    public var cleanUpTokenizationSpaces: Bool
    /// The padding token's id (`pad_token` of `tokenizer_config.json`, or the first of `<pad>`,
    /// `[PAD]`); `nil` for tokenizers without one, such as GPT-2's and Llama's. `encodeBatch`
    /// then pads as `Padding.filler` says.
    public var padTokenID: Int?
    /// The end-of-sequence token's id (`eos_token`, or `</s>`).
    public var eosTokenID: Int?
    /// The beginning-of-sequence token's id (`bos_token`, or `<s>`).
    public var bosTokenID: Int?
    /// The unknown token's id.
    public var unkTokenID: Int?

    init(
        normalizer: (any Normalizer)?, preTokenizer: (any PreTokenizer)?, model: any TokenizerModel,
        postProcessor: (any PostProcessor)?, decoder: (any TokenDecoder)?, addedTokens: [AddedToken]
    ) {
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.postProcessor = postProcessor
        self.decoder = decoder
        addedVocabulary = AddedVocabulary(tokens: addedTokens, normalizer: normalizer)
        cleanUpTokenizationSpaces = false
        padTokenID = nil
        eosTokenID = nil
        bosTokenID = nil
        unkTokenID = nil
        padTokenID = tokenToID("<pad>") ?? tokenToID("[PAD]")
        eosTokenID = tokenToID("</s>")
        bosTokenID = tokenToID("<s>")
        unkTokenID = tokenToID("<unk>") ?? tokenToID("[UNK]")
    }

    // MARK: - Loading

    /// Reads a `tokenizer.json` file.
    public init(tokenizerJSON url: URL) throws {
        let root = try JSONNode.load(url)
        try self.init(root: root)
    }

    /// Reads `tokenizer.json` content; `file` names it in errors.
    public init(tokenizerJSONData data: Data, file: String = "tokenizer.json") throws {
        try self.init(root: try JSONNode.parse(data, file: file))
    }

    init(root: JSONNode) throws {
        let normalizer = try root["normalizer"].map(NormalizerFactory.make)
        let preTokenizer = try root["pre_tokenizer"].map(PreTokenizerFactory.make)
        let model = try ModelFactory.make(try root.required("model"))
        var added: [AddedToken] = []
        if let list = root["added_tokens"] {
            for item in try list.array() {
                added.append(try AddedToken(item, id: try item.required("id").int()))
            }
        }
        let post = try root["post_processor"].map { try PostProcessorFactory.make($0, model: model, added: added) }
        let decoder = try root["decoder"].map(TokenDecoderFactory.make)
        self.init(
            normalizer: normalizer, preTokenizer: preTokenizer, model: model, postProcessor: post,
            decoder: decoder, addedTokens: added)
    }

    /// Loads the tokenizer in `folder`: `tokenizer.json` when present, otherwise the legacy files
    /// (`spiece.model`; `vocab.txt`; `vocab.json` + `merges.txt`), configured by
    /// `tokenizer_config.json` / `special_tokens_map.json` when present.
    public static func load(from folder: URL) throws -> Tokenizer {
        let fm = FileManager.default
        let config = try TokenizerConfig.load(folder)
        var tokenizer: Tokenizer
        let json = folder.appendingPathComponent("tokenizer.json")
        if fm.fileExists(atPath: json.path) {
            tokenizer = try Tokenizer(tokenizerJSON: json)
        } else if fm.fileExists(atPath: folder.appendingPathComponent("spiece.model").path) {
            tokenizer = try LegacyLoader.sentencePiece(folder, config: config)
        } else if fm.fileExists(atPath: folder.appendingPathComponent("vocab.txt").path) {
            tokenizer = try LegacyLoader.wordPiece(folder, config: config)
        } else if fm.fileExists(atPath: folder.appendingPathComponent("vocab.json").path),
            fm.fileExists(atPath: folder.appendingPathComponent("merges.txt").path)
        {
            tokenizer = try LegacyLoader.byteLevelBPE(folder, config: config)
        } else {
            throw TokenizerError.missingFiles(
                folder: folder.path,
                expected: "tokenizer.json, spiece.model, vocab.txt, or vocab.json + merges.txt")
        }
        try tokenizer.apply(config)
        return tokenizer
    }

    mutating func apply(_ config: TokenizerConfig) throws {
        cleanUpTokenizationSpaces = config.cleanUpTokenizationSpaces ?? false
        if let pad = config.padToken, let id = tokenToID(pad) { padTokenID = id }
        if let eos = config.eosToken, let id = tokenToID(eos) { eosTokenID = id }
        if let bos = config.bosToken, let id = tokenToID(bos) { bosTokenID = id }
        if let unk = config.unkToken, let id = tokenToID(unk) { unkTokenID = id }
        if config.rebuildsLlamaPostProcessor { postProcessor = try llamaTemplate(config) }
    }

    /// The template `LlamaTokenizerFast.update_post_processor` builds from `add_bos_token`
    /// (default true) and `add_eos_token` (default false), replacing `tokenizer.json`'s.
    private func llamaTemplate(_ config: TokenizerConfig) throws -> TemplateProcessing {
        var specials: [String: (ids: [Int], tokens: [String])] = [:]
        func special(_ token: String, key: String) throws -> String {
            guard let id = tokenToID(token) else {
                throw TokenizerError.unknownToken(file: "tokenizer_config.json", path: key, token: token)
            }
            specials[token] = ([id], [token])
            return token
        }
        // LlamaTokenizerFast's defaults: `<s>`, `</s>`.
        let bos = config.addBOSToken ? try special(config.bosToken ?? "<s>", key: "bos_token") : nil
        let eos = config.addEOSToken ? try special(config.eosToken ?? "</s>", key: "eos_token") : nil
        func pieces(_ index: Int) -> [TemplateProcessing.Piece] {
            (bos.map { [.special(name: $0, typeID: index)] } ?? []) + [.sequence(index: index, typeID: index)]
                + (eos.map { [.special(name: $0, typeID: index)] } ?? [])
        }
        return TemplateProcessing(single: pieces(0), pair: pieces(0) + pieces(1), specialTokens: specials)
    }

    // MARK: - Vocabulary

    /// The number of ids: the model's vocabulary plus added tokens beyond it (`len(tokenizer)`).
    public var vocabularySize: Int {
        let maxAdded = addedVocabulary.tokens.map(\.id).max().map { $0 + 1 } ?? 0
        return max(model.vocabularySize, maxAdded)
    }

    public func tokenToID(_ token: String) -> Int? {
        addedVocabulary.id(of: token) ?? model.tokenToID(token)
    }

    public func idToToken(_ id: Int) -> String? {
        addedVocabulary.token(for: id)?.content ?? model.idToToken(id)
    }

    /// The added tokens (special or not), by id.
    public var addedTokens: [AddedToken] { addedVocabulary.tokens.sorted { $0.id < $1.id } }

    // MARK: - Encoding

    /// Encodes one sequence, with the post-processor's special tokens unless told otherwise.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> Encoding {
        encode(text, pair: nil, addSpecialTokens: addSpecialTokens, truncation: nil)
    }

    /// Encodes a pair of sequences (`tokenizer(a, b)`).
    public func encode(_ a: String, pair b: String, addSpecialTokens: Bool = true) -> Encoding {
        encode(a, pair: Optional(b), addSpecialTokens: addSpecialTokens, truncation: nil)
    }

    /// Encodes one sequence or a pair, truncating before special tokens are added so that the
    /// result fits `truncation.maxLength` (tokenizers' `post_process`).
    public func encode(_ a: String, pair b: String?, addSpecialTokens: Bool = true, truncation: Truncation?) -> Encoding
    {
        var first = encodeSequence(a, typeID: 0, sequence: 0)
        var second = b.map { encodeSequence($0, typeID: 1, sequence: 1) }
        if let truncation {
            let added = addSpecialTokens ? (postProcessor?.addedTokens(isPair: second != nil) ?? 0) : 0
            truncation.apply(&first, &second, maxLength: truncation.maxLength - added)
        }
        let parts = [first] + (second.map { [$0] } ?? [])
        let processed = postProcessor?.process(parts, addSpecialTokens: addSpecialTokens) ?? parts
        if processed.count == 1 { return processed[0] }
        var out = Encoding()
        out.reserveCapacity(processed.reduce(0) { $0 + $1.count })
        for e in processed { out.append(contentsOf: e) }
        return out
    }

    /// Encodes many sequences, truncating each, then padding them together.
    public func encodeBatch(
        _ texts: [String], addSpecialTokens: Bool = true, padding: Padding = .longest, truncation: Truncation? = nil
    ) -> [Encoding] {
        pad(texts.map { encode($0, pair: nil, addSpecialTokens: addSpecialTokens, truncation: truncation) }, padding)
    }

    /// Encodes many pairs, truncating each pair, then padding them together.
    public func encodeBatch(
        pairs: [(String, String)], addSpecialTokens: Bool = true, padding: Padding = .longest,
        truncation: Truncation? = nil
    ) -> [Encoding] {
        pad(pairs.map { encode($0.0, pair: $0.1, addSpecialTokens: addSpecialTokens, truncation: truncation) }, padding)
    }

    private func pad(_ encodings: [Encoding], _ padding: Padding) -> [Encoding] {
        var target: Int
        switch padding.strategy {
        case .none: return encodings
        case .longest: target = encodings.map(\.count).max() ?? 0
        case .fixed(let n): target = n
        }
        if let m = padding.multipleOf, m > 0, target % m != 0 { target += m - target % m }
        let padID: Int
        switch padding.filler {
        case .padToken: padID = padTokenID ?? unkTokenID ?? eosTokenID ?? 0
        case .eos: padID = eosTokenID ?? padTokenID ?? 0
        case .unk: padID = unkTokenID ?? padTokenID ?? 0
        case .id(let id): padID = id
        }
        let padToken = idToToken(padID) ?? ""
        return encodings.map { e in
            var e = e
            e.pad(to: target, id: padID, token: padToken, typeID: 0, side: padding.side)
            return e
        }
    }

    /// Normalizes, splits off added tokens, pre-tokenizes and runs the model on one sequence.
    private func encodeSequence(_ text: String, typeID: Int, sequence: Int) -> Encoding {
        var splits = addedVocabulary.extractAndNormalize(text, normalizer: normalizer)
        preTokenizer?.preTokenize(&splits)
        var out = Encoding()
        // Usually no more tokens than scalars (a hint only).
        out.reserveCapacity(splits.reduce(0) { $0 + $1.text.count })
        for split in splits {
            let tokens = split.tokens ?? model.tokenize(split.text.scalars)
            for token in tokens {
                let span = split.text.originalSpan(of: token.range)
                out.append(
                    id: token.id, token: token.value, typeID: typeID, offsets: span.start..<span.end, special: false,
                    sequence: sequence)
            }
        }
        return out
    }

    // MARK: - Decoding

    /// Turns ids back into text: unknown ids are dropped, special tokens too when
    /// `skipSpecialTokens`; then the decoder runs and, when `cleanUpTokenizationSpaces` (default:
    /// the tokenizer's setting), transformers' clean-up of spaces before punctuation.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false, cleanUpTokenizationSpaces: Bool? = nil) -> String
    {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard let token = idToToken(id) else { continue }
            if skipSpecialTokens, addedVocabulary.isSpecial(token) { continue }
            tokens.append(token)
        }
        var text = decoder.map { $0.decodeChain(tokens).joined() } ?? tokens.joined(separator: " ")
        if cleanUpTokenizationSpaces ?? self.cleanUpTokenizationSpaces {
            text = Self.cleanUpTokenization(text)
        }
        return text
    }

    /// transformers' `clean_up_tokenization`.
    public static func cleanUpTokenization(_ s: String) -> String {
        s.replacingAll(" .", with: ".").replacingAll(" ?", with: "?").replacingAll(" !", with: "!")
            .replacingAll(" ,", with: ",").replacingAll(" ' ", with: "'").replacingAll(" n't", with: "n't")
            .replacingAll(" 'm", with: "'m").replacingAll(" 's", with: "'s").replacingAll(" 've", with: "'ve")
            .replacingAll(" 're", with: "'re")
    }
}
