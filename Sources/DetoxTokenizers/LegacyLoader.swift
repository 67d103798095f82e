import Foundation

/// Builds tokenizers from the files older checkpoints ship instead of `tokenizer.json`, the same
/// way transformers' slow→fast converters (`convert_slow_tokenizer.py`) do.
enum LegacyLoader {
    // MARK: - SentencePiece (T5)

    /// `spiece.model`: a SentencePiece unigram model, converted like `T5Converter`: pieces in order,
    /// then `<extra_id_N>` for N = extra_ids−1 … 0 (so the last id is `<extra_id_0>`).
    static func sentencePiece(_ folder: URL, config: TokenizerConfig) throws -> Tokenizer {
        let url = folder.appendingPathComponent("spiece.model")
        let spm = try SentencePieceModelFile(url: url)
        guard spm.modelType == 1 else {
            throw TokenizerError.unsupported(
                file: "spiece.model", path: "ModelProto.trainer_spec.model_type", kind: "SentencePiece model type",
                value: spm.modelType == 2 ? "BPE" : "\(spm.modelType)")
        }
        guard !spm.pieces.isEmpty else {
            throw TokenizerError.malformed(
                file: "spiece.model", path: "ModelProto.pieces", expected: "at least one piece", actual: "none")
        }
        guard spm.unkID >= 0, spm.unkID < spm.pieces.count else {
            throw TokenizerError.malformed(
                file: "spiece.model", path: "ModelProto.trainer_spec.unk_id",
                expected: "an id below \(spm.pieces.count)", actual: "\(spm.unkID)")
        }
        let extraIDs = config.extraIDs ?? 100
        var vocab = spm.pieces.map { ($0.piece, Double($0.score)) }
        for n in stride(from: extraIDs - 1, through: 0, by: -1) { vocab.append(("<extra_id_\(n)>", 0.0)) }
        let model = UnigramModel(vocab: vocab, unkID: spm.unkID, byteFallback: false)

        var normalizers: [any Normalizer] = []
        if !spm.precompiledCharsMap.isEmpty {
            let map = try PrecompiledCharsMap(
                blob: spm.precompiledCharsMap, file: "spiece.model",
                path: "ModelProto.normalizer_spec.precompiled_charsmap")
            normalizers.append(PrecompiledNormalizer(map: map))
        }
        normalizers.append(StripNormalizer(left: false, right: true))
        // ` {2,}`
        normalizers.append(ReplaceNormalizer(pattern: .run(" ", atLeast: 2), content: "\u{2581}"))

        let scheme: PrependScheme =
            (config.addPrefixSpace ?? true) ? (config.legacy == false ? .first : .always) : .never
        let eos = config.eosToken ?? "</s>"
        var added = config.addedTokens
        if added.isEmpty {
            for (id, piece) in spm.pieces.enumerated() where piece.type == .control || piece.type == .userDefined {
                added.append(AddedToken(id: id, content: piece.piece, special: piece.type == .control))
            }
            let specials =
                [config.unkToken ?? spm.pieces[spm.unkID].piece, config.padToken, eos].compactMap { $0 }
                + (0..<extraIDs).map { "<extra_id_\($0)>" } + config.additionalSpecialTokens
            for content in specials where !added.contains(where: { $0.content.isExactly(content) }) {
                if let id = model.tokenToID(content) { added.append(AddedToken(id: id, content: content)) }
            }
        }
        guard let eosID = added.first(where: { $0.content.isExactly(eos) })?.id ?? model.tokenToID(eos) else {
            throw TokenizerError.unknownToken(file: "spiece.model", path: "eos_token", token: eos)
        }
        let post = TemplateProcessing(
            single: [.sequence(index: 0, typeID: 0), .special(name: eos, typeID: 0)],
            pair: [
                .sequence(index: 0, typeID: 0), .special(name: eos, typeID: 0),
                .sequence(index: 1, typeID: 0), .special(name: eos, typeID: 0),
            ],
            specialTokens: [eos: ([eosID], [eos])])
        return Tokenizer(
            normalizer: SequenceNormalizer(normalizers: normalizers),
            preTokenizer: MetaspacePreTokenizer(prependScheme: scheme), model: model, postProcessor: post,
            decoder: MetaspaceDecoder(replacement: "\u{2581}", prependScheme: scheme), addedTokens: added)
    }

    // MARK: - WordPiece (BERT, ELECTRA)

    /// `vocab.txt` (one token per line, id = line index) with `BertTokenizer` settings.
    static func wordPiece(_ folder: URL, config: TokenizerConfig) throws -> Tokenizer {
        let lines = try readLines(folder.appendingPathComponent("vocab.txt"))
        var vocab: [ExactString: Int] = [:]
        for (i, line) in lines.enumerated() { vocab[ExactString(line)] = i }
        let unk = config.unkToken ?? "[UNK]"
        guard vocab[ExactString(unk)] != nil else {
            throw TokenizerError.unknownToken(file: "vocab.txt", path: "unk_token", token: unk)
        }
        let cls = config.clsToken ?? "[CLS]"
        let sep = config.sepToken ?? "[SEP]"
        guard let clsID = vocab[ExactString(cls)] else {
            throw TokenizerError.unknownToken(file: "vocab.txt", path: "cls_token", token: cls)
        }
        guard let sepID = vocab[ExactString(sep)] else {
            throw TokenizerError.unknownToken(file: "vocab.txt", path: "sep_token", token: sep)
        }
        let lowercase = config.doLowerCase ?? true
        let normalizer = BertNormalizer(
            cleanText: true, handleChineseChars: config.tokenizeChineseChars ?? true, stripAccents: config.stripAccents,
            lowercase: lowercase)
        var added = config.addedTokens
        if added.isEmpty {
            let specials =
                [config.padToken ?? "[PAD]", unk, cls, sep, config.maskToken ?? "[MASK]"]
                + config.additionalSpecialTokens
            for content in specials where !added.contains(where: { $0.content.isExactly(content) }) {
                if let id = vocab[ExactString(content)] { added.append(AddedToken(id: id, content: content)) }
            }
        }
        let post = TemplateProcessing(
            single: [.special(name: cls, typeID: 0), .sequence(index: 0, typeID: 0), .special(name: sep, typeID: 0)],
            pair: [
                .special(name: cls, typeID: 0), .sequence(index: 0, typeID: 0), .special(name: sep, typeID: 0),
                .sequence(index: 1, typeID: 1), .special(name: sep, typeID: 1),
            ],
            specialTokens: [cls: ([clsID], [cls]), sep: ([sepID], [sep])])
        return Tokenizer(
            normalizer: normalizer, preTokenizer: BertPreTokenizer(),
            model: WordPieceModel(vocab: vocab, unkToken: unk), postProcessor: post,
            decoder: WordPieceDecoder(prefix: "##", cleanup: true), addedTokens: added)
    }

    // MARK: - Byte-level BPE (RoBERTa, GPT-2)

    /// `vocab.json` + `merges.txt` with `RobertaTokenizer` settings.
    static func byteLevelBPE(_ folder: URL, config: TokenizerConfig) throws -> Tokenizer {
        let vocabNode = try JSONNode.load(folder.appendingPathComponent("vocab.json"))
        var vocab: [ExactString: Int] = [:]
        for (token, idNode) in try vocabNode.object() { vocab[ExactString(token)] = try idNode.int() }
        var merges: [(String, String)] = []
        for (i, line) in try readLines(folder.appendingPathComponent("merges.txt")).enumerated() {
            if i == 0, line.hasPrefix("#version") { continue }
            if line.isEmpty { continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 2 else {
                throw TokenizerError.malformed(
                    file: "merges.txt", path: "line \(i + 1)", expected: "two tokens separated by a space", actual: line
                )
            }
            merges.append((String(parts[0]), String(parts[1])))
        }
        let model = try BPEModel(vocab: vocab, merges: merges, unkToken: nil, file: "merges.txt", path: "lines")
        let addPrefixSpace = config.addPrefixSpace ?? false
        let trim = config.trimOffsets ?? true
        var added = config.addedTokens
        if added.isEmpty {
            let specials: [(String?, Bool)] = [
                (config.bosToken ?? "<s>", false), (config.padToken ?? "<pad>", false),
                (config.eosToken ?? "</s>", false),
                (config.unkToken ?? "<unk>", false), (config.maskToken ?? "<mask>", true),
            ]
            for (content, lstrip) in specials {
                guard let content, let id = vocab[ExactString(content)],
                    !added.contains(where: { $0.content.isExactly(content) })
                else { continue }
                added.append(AddedToken(id: id, content: content, lstrip: lstrip))
            }
        }
        let post: any PostProcessor
        let cls = config.clsToken ?? "<s>"
        let sep = config.sepToken ?? "</s>"
        if let clsID = vocab[ExactString(cls)], let sepID = vocab[ExactString(sep)] {
            post = RobertaProcessing(
                sep: (sep, sepID), cls: (cls, clsID), trimOffsets: trim, addPrefixSpace: addPrefixSpace)
        } else {
            post = ByteLevelProcessing(trimOffsets: trim, addPrefixSpace: addPrefixSpace)
        }
        return Tokenizer(
            normalizer: nil, preTokenizer: ByteLevelPreTokenizer(addPrefixSpace: addPrefixSpace, useRegex: true),
            model: model, postProcessor: post, decoder: ByteLevelDecoder(), addedTokens: added)
    }

    // MARK: - Helpers

    /// Lines of a UTF-8 text file without their `\n` (a final newline ends the last line).
    static func readLines(_ url: URL) throws -> [String] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError.unreadableFile(file: url.lastPathComponent, reason: "\(error)")
        }
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).map { line -> String in
            let bytes = line.last == 0x0D ? line.dropLast() : line[...]
            return String(decoding: bytes, as: UTF8.self)
        }
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }
}
