import Foundation
import Testing

@testable import DetoxTokenizers

/// T5 conventions: pad 0, eos 1, unk 2, `<extra_id_N>` in reverse order after the pieces.
@Suite struct T5SpecificsTests {
    @Test(arguments: [false, true])
    func specialIDsAndReversedSentinels(legacy: Bool) throws {
        let t = try Fixtures.tokenizer("t5", legacy: legacy)
        #expect(t.padTokenID == 0)
        #expect(t.eosTokenID == 1)
        #expect(t.unkTokenID == 2)
        let size = t.vocabularySize
        #expect(size == 700) // 600 SentencePiece pieces + 100 sentinels
        #expect(t.tokenToID("<extra_id_0>") == size - 1)
        #expect(t.tokenToID("<extra_id_99>") == size - 100)
        #expect(t.idToToken(size - 1) == "<extra_id_0>")
        // Sentinels are matched before the model, and eos is appended.
        let e = t.encode("<extra_id_0> x <extra_id_1>")
        #expect(e.ids.first == size - 1)
        #expect(e.ids.last == 1)
        #expect(e.ids.dropLast().last == size - 2)
    }

    @Test func idsBeyondTheTokenizerVocabularyAreDroppedWhenDecoding() throws {
        // The T5 model's embedding has more rows (32128) than the tokenizer has ids (32100);
        // like HF, decoding skips ids without a token.
        let t = try Fixtures.tokenizer("t5", legacy: false)
        let ids = t.encode("Hello world", addSpecialTokens: false).ids
        #expect(
            t.decode(ids + [t.vocabularySize + 5], skipSpecialTokens: true) == t.decode(ids, skipSpecialTokens: true))
    }

    @Test func precompiledCharsmapFollowsHuggingFace() throws {
        // nmt_nfkc test vectors of huggingface/spm_precompiled.
        let t = try Fixtures.tokenizer("t5", legacy: false)
        for (input, output) in [("\u{FB01}", "fi"), ("𝔾", "G"), ("𝕠", "o")] {
            var text = NormalizedText(input)
            t.normalizer?.normalize(&text)
            #expect(text.string == output, "\(input)")
        }
    }
}
