// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (fixture fields keep the snake_case keys the Python fixture script writes)
import Foundation
import Testing

@testable import DetoxTokenizers

/// The decoder-only facts of `Scripts/fixtures/make_decoder_tokenizer_fixtures.py`'s files that
/// `Expected` does not hold.
struct DecoderExpected: Decodable {
    struct Single: Decodable {
        let text: String
        let tokens: [String]
    }

    let bos_token_id: Int?
    let unk_token_id: Int?
    /// The token the reference batches were padded with after the usual fix (`"eos"`, `"unk"`), or
    /// nil when the tokenizer has its own pad token.
    let pad_with: String?
    let single: [Single]

    static func load(_ name: String) throws -> DecoderExpected {
        let url = try Fixtures.folder("\(name)_expected.json")
        return try JSONDecoder().decode(DecoderExpected.self, from: Data(contentsOf: url))
    }
}

/// Parity with GPT2TokenizerFast, LlamaTokenizerFast (legacy, `legacy: false`, `add_eos_token`)
/// and Qwen2TokenizerFast on the corpus of `Fixtures/README-decoder.md`.
@Suite struct DecoderParityTests {
    static let names = ["gpt2", "llama", "llama_nonlegacy", "llama_eos", "qwen2"]

    @Test(arguments: names)
    func singleSequences(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name, legacy: false)
        let expected = try Fixtures.expected(name)
        let extra = try DecoderExpected.load(name)
        try #require(expected.single.count >= 150)
        try #require(extra.single.count == expected.single.count)
        var failures: [String] = []
        for (e, x) in zip(expected.single, extra.single) {
            if let m = mismatch(tokenizer, e) {
                failures.append(m)
                continue
            }
            let tokens = tokenizer.encode(e.text).tokens
            if tokens != x.tokens {
                failures.append("text \(String(reflecting: x.text)): tokens \(tokens) != \(x.tokens)")
            }
        }
        #expect(
            failures.isEmpty,
            "\(name): \(failures.count) of \(expected.single.count) strings differ; first: \(failures.first ?? "")")
    }

    @Test(arguments: names)
    func pairEncodings(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name, legacy: false)
        let expected = try Fixtures.expected(name)
        try #require(!expected.pairs.isEmpty, "the fixture has no pairs")
        for e in expected.pairs {
            let enc = tokenizer.encode(e.a, pair: e.b)
            #expect(enc.ids == e.ids, "\(name) pair \(String(reflecting: e.a)) / \(String(reflecting: e.b))")
            #expect(enc.typeIDs == e.type_ids)
            #expect(enc.attentionMask == e.attention_mask)
            #expect(enc.specialTokensMask == e.special_tokens_mask)
            #expect(pairs(enc.offsets) == e.offsets)
        }
    }

    /// Batches padded on both sides. GPT-2 and Llama have no pad token: the reference batches were
    /// padded after `pad_token = eos_token` (GPT-2, TRL's convention) or `pad_token = unk_token`
    /// (Llama); Detox gets the same from `Padding.filler` — and, for these tokenizers, from the
    /// default fallback too.
    @Test(arguments: names)
    func batchPadding(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name, legacy: false)
        let expected = try Fixtures.expected(name)
        let extra = try DecoderExpected.load(name)
        try #require(!expected.batches.isEmpty, "the fixture has no batches")
        let fillers: [Padding.Filler]
        switch extra.pad_with {
        case "eos": fillers = [.eos, .padToken]
        case "unk": fillers = [.unk, .padToken]
        default: fillers = [.padToken]
        }
        for filler in fillers {
            for batch in expected.batches {
                let padding = Padding(.longest, side: batch.padding_side == "left" ? .left : .right, filler: filler)
                let encodings = tokenizer.encodeBatch(
                    batch.texts, padding: padding, truncation: Truncation(maxLength: batch.max_length))
                let context = "\(name) \(filler) max_length \(batch.max_length) \(batch.padding_side)"
                #expect(encodings.map(\.ids) == batch.ids, "\(context)")
                #expect(encodings.map(\.attentionMask) == batch.attention_mask, "\(context)")
                #expect(encodings.map(\.typeIDs) == batch.type_ids, "\(context)")
                #expect(encodings.map(\.specialTokensMask) == batch.special_tokens_mask, "\(context)")
            }
        }
    }

    @Test(arguments: names)
    func vocabularyAndSpecialIDs(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name, legacy: false)
        let expected = try Fixtures.expected(name)
        let extra = try DecoderExpected.load(name)
        #expect(tokenizer.vocabularySize == expected.vocab_size)
        #expect(tokenizer.padTokenID == expected.pad_token_id)
        #expect(tokenizer.eosTokenID == expected.eos_token_id)
        #expect(tokenizer.bosTokenID == extra.bos_token_id)
        #expect(tokenizer.unkTokenID == extra.unk_token_id)
        #expect(tokenizer.cleanUpTokenizationSpaces == expected.clean_up_tokenization_spaces)
    }

    /// `LlamaTokenizerFast` rebuilds the template from `add_bos_token` / `add_eos_token`.
    @Test func llamaTemplateFollowsTheConfig() throws {
        let plain = try Fixtures.tokenizer("llama", legacy: false)
        let withEOS = try Fixtures.tokenizer("llama_eos", legacy: false)
        let bos = try #require(plain.bosTokenID)
        let eos = try #require(plain.eosTokenID)
        let a = plain.encode("hello world").ids
        let b = withEOS.encode("hello world").ids
        try #require(a.count >= 2)
        #expect(a.first == bos && a.last != eos)
        #expect(b == a + [eos])
        #expect(withEOS.encode("x", pair: "y").ids.filter { $0 == eos }.count == 2)
    }

    /// An explicit filler id wins over everything.
    @Test func explicitPadID() throws {
        let tokenizer = try Fixtures.tokenizer("gpt2", legacy: false)
        let out = tokenizer.encodeBatch(["hello world", "a"], padding: Padding(.longest, filler: .id(7)))
        try #require(out.count == 2)
        #expect(out[1].ids.dropFirst().allSatisfy { $0 == 7 })
        #expect(out[1].attentionMask.dropFirst().allSatisfy { $0 == 0 })
    }
}
