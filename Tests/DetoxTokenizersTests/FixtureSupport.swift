// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (fixture fields keep the snake_case keys the Python fixture scripts write)
import DetoxTestFiles
import Foundation
import Testing

@testable import DetoxTokenizers

/// Reference outputs written by `Scripts/fixtures/make_tokenizer_fixtures.py`.
struct Expected: Decodable {
    struct Single: Decodable {
        let text: String
        let ids: [Int]
        let attention_mask: [Int]
        let type_ids: [Int]
        let special_tokens_mask: [Int]
        let offsets: [[Int]]
        let decoded: String
        let decoded_with_special: String
        let ids_no_special: [Int]
    }

    struct Pair: Decodable {
        let a: String
        let b: String
        let ids: [Int]
        let attention_mask: [Int]
        let type_ids: [Int]
        let special_tokens_mask: [Int]
        let offsets: [[Int]]
    }

    struct Batch: Decodable {
        let texts: [String]
        let pairs: [String]?
        let max_length: Int
        let padding_side: String
        let ids: [[Int]]
        let attention_mask: [[Int]]
        let type_ids: [[Int]]
        let special_tokens_mask: [[Int]]
    }

    let name: String
    let clean_up_tokenization_spaces: Bool
    let vocab_size: Int
    let pad_token_id: Int?
    let eos_token_id: Int?
    let single: [Single]
    let pairs: [Pair]
    let batches: [Batch]
}

enum Fixtures {
    static func folder(_ name: String) throws -> URL {
        let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return root.appendingPathComponent(name)
    }

    static func expected(_ name: String) throws -> Expected {
        let url = try folder("\(name)_expected.json")
        return try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url))
    }

    /// The tokenizer read from `tokenizer.json` (with the folder's config) or from legacy files only.
    /// With `bare`, only the model files are kept (no `tokenizer_config.json` /
    /// `special_tokens_map.json`), so the library's defaults are used.
    static func tokenizer(_ name: String, legacy: Bool, bare: Bool = false) throws -> Tokenizer {
        let source = try folder(name)
        guard legacy else { return try Tokenizer.load(from: source) }
        // Copy everything but tokenizer.json into a temporary folder.
        let fm = FileManager.default
        let temp = try TemporaryFolder().url
        defer { try? fm.removeItem(at: temp) }
        let modelFiles: Set = ["spiece.model", "vocab.txt", "vocab.json", "merges.txt"]
        for file in try fm.contentsOfDirectory(atPath: source.path)
        where file != "tokenizer.json" && (!bare || modelFiles.contains(file)) {
            try fm.copyItem(at: source.appendingPathComponent(file), to: temp.appendingPathComponent(file))
        }
        return try Tokenizer.load(from: temp)
    }
}

/// Offsets as `[[start, end]]`, the fixture's shape.
func pairs(_ offsets: [Range<Int>]) -> [[Int]] {
    offsets.map { [$0.lowerBound, $0.upperBound] }
}

/// Compares one corpus string's encoding with the reference; returns a description of the first
/// difference, or nil.
func mismatch(_ tokenizer: Tokenizer, _ e: Expected.Single, decode: Bool = true) -> String? {
    let enc = tokenizer.encode(e.text)
    let shown = "text \(String(reflecting: e.text))"
    if enc.ids != e.ids {
        return
            "\(shown): ids \(enc.ids) (tokens \(enc.tokens)) != expected \(e.ids) (tokens \(e.ids.map { tokenizer.idToToken($0) ?? "?" }))"
    }
    if enc.attentionMask != e.attention_mask {
        return "\(shown): attention mask \(enc.attentionMask) != \(e.attention_mask)"
    }
    if enc.typeIDs != e.type_ids { return "\(shown): type ids \(enc.typeIDs) != \(e.type_ids)" }
    if enc.specialTokensMask != e.special_tokens_mask {
        return "\(shown): special mask \(enc.specialTokensMask) != \(e.special_tokens_mask)"
    }
    if pairs(enc.offsets) != e.offsets {
        return "\(shown): offsets \(pairs(enc.offsets)) != \(e.offsets) (tokens \(enc.tokens))"
    }
    let noSpecial = tokenizer.encode(e.text, addSpecialTokens: false).ids
    if noSpecial != e.ids_no_special { return "\(shown): ids without specials \(noSpecial) != \(e.ids_no_special)" }
    if decode {
        let d = tokenizer.decode(e.ids, skipSpecialTokens: true)
        if d != e.decoded { return "\(shown): decoded \(String(reflecting: d)) != \(String(reflecting: e.decoded))" }
        let d2 = tokenizer.decode(e.ids, skipSpecialTokens: false)
        if d2 != e.decoded_with_special {
            return
                "\(shown): decoded with specials \(String(reflecting: d2)) != \(String(reflecting: e.decoded_with_special))"
        }
    }
    return nil
}
