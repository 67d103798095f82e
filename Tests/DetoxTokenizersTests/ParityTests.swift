import Foundation
import Testing

@testable import DetoxTokenizers

/// Parity with transformers' fast tokenizers on the fixture corpus (see Fixtures/README.md).
@Suite struct ParityTests {
    static let names = ["t5", "bert_cased", "bert_uncased", "roberta"]

    // MARK: - tokenizer.json

    @Test(arguments: names)
    func singleSequences(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name, legacy: false)
        let expected = try Fixtures.expected(name)
        try #require(expected.single.count >= 500)
        var failures = 0
        var first: String? = nil
        for e in expected.single {
            if let m = mismatch(tokenizer, e) {
                failures += 1
                if first == nil { first = m }
            }
        }
        #expect(failures == 0, "\(name): \(failures) of \(expected.single.count) strings differ; first: \(first ?? "")")
    }

    @Test(arguments: names)
    func pairEncodings(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name, legacy: false)
        let expected = try Fixtures.expected(name)
        try #require(!expected.pairs.isEmpty, "the fixture has no pairs")
        for e in expected.pairs {
            let enc = tokenizer.encode(e.a, pair: e.b)
            let ok =
                enc.ids == e.ids && enc.typeIDs == e.type_ids && enc.attentionMask == e.attention_mask
                && enc.specialTokensMask == e.special_tokens_mask && pairs(enc.offsets) == e.offsets
            #expect(
                ok,
                "\(name) pair \(String(reflecting: e.a)) / \(String(reflecting: e.b)): ids \(enc.ids) vs \(e.ids), types \(enc.typeIDs) vs \(e.type_ids), offsets \(pairs(enc.offsets)) vs \(e.offsets)"
            )
            if !ok { break }
        }
    }

    @Test(arguments: names)
    func batchPaddingAndTruncation(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name, legacy: false)
        let expected = try Fixtures.expected(name)
        try #require(!expected.batches.isEmpty, "the fixture has no batches")
        for batch in expected.batches {
            let padding = Padding(.longest, side: batch.padding_side == "left" ? .left : .right)
            let truncation = Truncation(maxLength: batch.max_length)
            let encodings: [Encoding]
            if let second = batch.pairs {
                encodings = tokenizer.encodeBatch(
                    pairs: Array(zip(batch.texts, second)), padding: padding, truncation: truncation)
            } else {
                encodings = tokenizer.encodeBatch(batch.texts, padding: padding, truncation: truncation)
            }
            #expect(
                encodings.map(\.ids) == batch.ids, "\(name) batch max_length \(batch.max_length) \(batch.padding_side)")
            #expect(encodings.map(\.attentionMask) == batch.attention_mask)
            #expect(encodings.map(\.typeIDs) == batch.type_ids)
            #expect(encodings.map(\.specialTokensMask) == batch.special_tokens_mask)
        }
    }

    @Test(arguments: names)
    func vocabularyAndSpecialIDs(name: String) throws {
        let tokenizer = try Fixtures.tokenizer(name, legacy: false)
        let expected = try Fixtures.expected(name)
        #expect(tokenizer.vocabularySize == expected.vocab_size)
        #expect(tokenizer.padTokenID == expected.pad_token_id)
        #expect(tokenizer.eosTokenID == expected.eos_token_id)
        #expect(tokenizer.cleanUpTokenizationSpaces == expected.clean_up_tokenization_spaces)
    }

    // MARK: - Legacy files

    @Test(arguments: names)
    func legacyFilesGiveTheSameIDs(name: String) throws {
        let legacy = try Fixtures.tokenizer(name, legacy: true)
        let expected = try Fixtures.expected(name)
        var failures = 0
        var first: String? = nil
        try #require(!expected.single.isEmpty, "the fixture has no single encodings")
        for e in expected.single {
            if let m = mismatch(legacy, e) {
                failures += 1
                if first == nil { first = m }
            }
        }
        #expect(failures == 0, "\(name) (legacy files): \(failures) strings differ; first: \(first ?? "")")
        #expect(legacy.vocabularySize == expected.vocab_size)
        #expect(legacy.padTokenID == expected.pad_token_id)
        #expect(legacy.eosTokenID == expected.eos_token_id)
    }

    /// Only the model file(s), no configuration: the defaults (T5 with 100 sentinels, uncased
    /// BERT, RoBERTa without prefix space) reproduce the reference ids.
    @Test(arguments: ["t5", "bert_uncased", "roberta"])
    func bareLegacyFilesUseTransformersDefaults(name: String) throws {
        let legacy = try Fixtures.tokenizer(name, legacy: true, bare: true)
        let expected = try Fixtures.expected(name)
        let differing = expected.single.filter { legacy.encode($0.text).ids != $0.ids }
        #expect(
            differing.isEmpty,
            "\(name): \(differing.count) strings differ; first: \(String(reflecting: differing.first?.text ?? ""))")
    }
}
