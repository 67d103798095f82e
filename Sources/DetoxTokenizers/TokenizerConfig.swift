import Foundation

/// The parts of `tokenizer_config.json` and `special_tokens_map.json` that shape a tokenizer.
struct TokenizerConfig {
    var cleanUpTokenizationSpaces: Bool?
    var doLowerCase: Bool?
    var stripAccents: Bool?
    var tokenizeChineseChars: Bool?
    var addPrefixSpace: Bool?
    var trimOffsets: Bool?
    var legacy: Bool?
    var extraIDs: Int?
    /// `tokenizer_class` (e.g. `"LlamaTokenizer"`).
    var tokenizerClass: String?
    /// `add_bos_token` / `add_eos_token`, read by Llama's fast tokenizer (defaults true / false).
    var addBOSToken = true
    var addEOSToken = false
    var padToken: String?
    var eosToken: String?
    var unkToken: String?
    var bosToken: String?
    var clsToken: String?
    var sepToken: String?
    var maskToken: String?
    var additionalSpecialTokens: [String] = []
    /// `added_tokens_decoder`, when present: exact added-token settings by id.
    var addedTokens: [AddedToken] = []

    static func load(_ folder: URL) throws -> TokenizerConfig {
        var config = TokenizerConfig()
        let fm = FileManager.default
        let mapURL = folder.appendingPathComponent("special_tokens_map.json")
        if fm.fileExists(atPath: mapURL.path) {
            try config.readSpecialTokens(try JSONNode.load(mapURL))
        }
        let configURL = folder.appendingPathComponent("tokenizer_config.json")
        if fm.fileExists(atPath: configURL.path) {
            let root = try JSONNode.load(configURL)
            config.cleanUpTokenizationSpaces = try root["clean_up_tokenization_spaces"]?.bool()
            config.doLowerCase = try root["do_lower_case"]?.bool()
            config.stripAccents = try root["strip_accents"]?.bool()
            config.tokenizeChineseChars = try root["tokenize_chinese_chars"]?.bool()
            config.addPrefixSpace = try root["add_prefix_space"]?.bool()
            config.trimOffsets = try root["trim_offsets"]?.bool()
            config.legacy = try root["legacy"]?.bool()
            config.extraIDs = try root["extra_ids"]?.int()
            config.tokenizerClass = try root["tokenizer_class"]?.string()
            config.addBOSToken = try root["add_bos_token"]?.bool() ?? true
            config.addEOSToken = try root["add_eos_token"]?.bool() ?? false
            try config.readSpecialTokens(root)
            if let decoder = root["added_tokens_decoder"] {
                for (key, node) in try decoder.object() {
                    guard let id = Int(key) else { throw node.mismatch("an integer id as key") }
                    config.addedTokens.append(try AddedToken(node, id: id))
                }
                config.addedTokens.sort { $0.id < $1.id }
            }
        }
        return config
    }

    /// `LlamaTokenizerFast` (saved as `"LlamaTokenizer"` or `"LlamaTokenizerFast"`) replaces the
    /// post-processor of `tokenizer.json` with a template built from `add_bos_token` /
    /// `add_eos_token` whenever it loads.
    var rebuildsLlamaPostProcessor: Bool {
        tokenizerClass == "LlamaTokenizer" || tokenizerClass == "LlamaTokenizerFast"
    }

    /// A special token given as `"<pad>"` or as `{"content": "<pad>", ...}`.
    private static func tokenString(_ node: JSONNode?) throws -> String? {
        guard let node else { return nil }
        if case .string = node.value { return try node.string() }
        return try node.required("content").string()
    }

    private mutating func readSpecialTokens(_ root: JSONNode) throws {
        padToken = try Self.tokenString(root["pad_token"]) ?? padToken
        eosToken = try Self.tokenString(root["eos_token"]) ?? eosToken
        unkToken = try Self.tokenString(root["unk_token"]) ?? unkToken
        bosToken = try Self.tokenString(root["bos_token"]) ?? bosToken
        clsToken = try Self.tokenString(root["cls_token"]) ?? clsToken
        sepToken = try Self.tokenString(root["sep_token"]) ?? sepToken
        maskToken = try Self.tokenString(root["mask_token"]) ?? maskToken
        if let list = root["additional_special_tokens"] {
            additionalSpecialTokens = try list.array().compactMap { try Self.tokenString($0) }
        }
    }
}
