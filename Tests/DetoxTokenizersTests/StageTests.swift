import Foundation
import Testing

@testable import DetoxTokenizers

/// Stage-level behaviour not covered by a fixture tokenizer.
@Suite struct StageTests {
    private func node(_ json: String) throws -> JSONNode {
        try JSONNode.parse(Data(json.utf8), file: "tokenizer.json")
    }

    private func pieces(_ p: any PreTokenizer, _ text: String) -> [String] {
        var splits = [TextSplit(text: NormalizedText(text), tokens: nil)]
        p.preTokenize(&splits)
        return splits.map { $0.text.string }
    }

    @Test func metaspaceReadsLegacyAndCurrentForms() throws {
        let legacy = try MetaspacePreTokenizer(
            node(#"{"type":"Metaspace","replacement":"▁","str_rep":"▁","add_prefix_space":true}"#))
        #expect(legacy.prependScheme == .always)
        let noPrefix = try MetaspacePreTokenizer(
            node(#"{"type":"Metaspace","replacement":"▁","add_prefix_space":false}"#))
        #expect(noPrefix.prependScheme == .never)
        let first = try MetaspacePreTokenizer(
            node(#"{"type":"Metaspace","replacement":"▁","prepend_scheme":"first","split":false}"#))
        #expect(first.prependScheme == .first && !first.split)
        #expect(throws: TokenizerError.self) {
            _ = try MetaspacePreTokenizer(
                node(#"{"type":"Metaspace","replacement":"▁","add_prefix_space":false,"prepend_scheme":"always"}"#))
        }
        #expect(pieces(legacy, "Hey  you") == ["▁Hey", "▁", "▁you"])
        #expect(pieces(noPrefix, "Hey you") == ["Hey", "▁you"])
    }

    @Test func legacyT5PreTokenizerSequence() throws {
        let p = try PreTokenizerFactory.make(
            node(
                #"""
                {"type":"Sequence","pretokenizers":[{"type":"WhitespaceSplit"},
                 {"type":"Metaspace","replacement":"▁","str_rep":"▁","add_prefix_space":true}]}
                """#))
        #expect(pieces(p, " Hello\tbig  world ") == ["▁Hello", "▁big", "▁world"])
    }

    @Test func gpt2Split() {
        let text = Array("Hello world's  3.5 rock'n'roll!!  \n".unicodeScalars)
        let parts = SplitExpression.gpt2(text).map { String(String.UnicodeScalarView(text[$0])) }
        #expect(parts == ["Hello", " world", "'s", " ", " 3", ".", "5", " rock", "'", "n", "'", "roll", "!!", "  \n"])
    }

    /// The hand-compiled split expressions find what the regular expressions they stand for find
    /// (ICU here), on the parity corpus and on strings aimed at their alternatives.
    @Test(arguments: [SplitExpression.gpt2Pattern, SplitExpression.qwen2Pattern, " {2,}"])
    func compiledSplitExpressionsMatchTheirRegex(pattern: String) throws {
        let compiled = try #require(SplitExpression.compiled[pattern])
        let regex = TextPattern.regex(try SharedRegex(pattern))
        let corpusURL = try Fixtures.folder("corpus.json")
        var texts = try JSONDecoder().decode([String].self, from: Data(contentsOf: corpusURL))
        try #require(!texts.isEmpty)
        texts += [
            "It'S 'RE 'Ll 'ſ 'x ' 'v", "a\r\n\r\n  b \n\t c  ", " \n", "x  \u{3000}y\u{85}", ".word ,\tword 12 34",
            "!!\r\n\n z", "\t.", "  ", "a", "'", "Ｆｕｌｌ　width１２", "e\u{301}\u{301} 😀😀 x",
        ]
        for text in texts {
            let scalars = Array(text.unicodeScalars)
            let expected = regex.findMatches(in: scalars).map { [$0.range.lowerBound, $0.range.upperBound] }
            let found = compiled.findMatches(in: scalars).map { [$0.range.lowerBound, $0.range.upperBound] }
            #expect(found == expected, "\(pattern): \(String(reflecting: text))")
        }
    }

    @Test func whitespaceAndPunctuationPreTokenizers() {
        #expect(pieces(WhitespacePreTokenizer(), "Hi, you-there!") == ["Hi", ",", "you", "-", "there", "!"])
        #expect(pieces(PunctuationPreTokenizer(behavior: .isolated), "a,b") == ["a", ",", "b"])
        #expect(pieces(WhitespaceSplitPreTokenizer(), " a \t b ") == ["a", "b"])
    }

    @Test func wordCacheRemembersUpToItsCapacity() {
        let cache = WordCache(capacity: 1)
        var calls = 0
        func tokenize(_ word: [Unicode.Scalar]) -> [Token] {
            calls += 1
            return [Token(id: word.count, value: "", range: 0..<word.count)]
        }
        #expect(cache.tokens(of: ["a", "b"], tokenize).map(\.id) == [2])
        #expect(cache.tokens(of: ["a", "b"], tokenize).map(\.id) == [2])
        #expect(calls == 1)
        // Full: a new word is computed every time.
        _ = cache.tokens(of: ["c"], tokenize)
        _ = cache.tokens(of: ["c"], tokenize)
        #expect(calls == 3)
        // Too long to be remembered, even with room.
        let long = [Unicode.Scalar](repeating: "x", count: WordCache.maxWordLength + 1)
        let roomy = WordCache()
        _ = roomy.tokens(of: long, tokenize)
        _ = roomy.tokens(of: long, tokenize)
        #expect(calls == 5)
    }

    @Test func canonicalBlocksAreInNormalForm() {
        var failures: [UInt32] = []
        var checked = 0
        for block in UnicodeNormalizer.canonicalBlocks {
            for v in block {
                guard let s = Unicode.Scalar(v) else { continue }
                let text = String(s)
                checked += 1
                if !UnicodeNormalizer.apply(.nfd, to: text).isExactly(text)
                    || !UnicodeNormalizer.apply(.nfc, to: text).isExactly(text)
                    || s.properties.canonicalCombiningClass.rawValue != 0
                {
                    failures.append(v)
                }
            }
        }
        #expect(checked > 30_000)
        #expect(failures.isEmpty, "not stable: \(failures.prefix(10).map { String($0, radix: 16) })")
    }

    @Test func unicodeNormalizersKeepAlignments() {
        var text = NormalizedText("ﬁé")
        UnicodeNormalizer(form: .nfkd).normalize(&text)
        #expect(text.string == "fie\u{301}")
        #expect(text.alignments.map(\.start) == [0, 0, 1, 1])
        StripAccentsNormalizer().normalize(&text)
        #expect(text.string == "fie")
        LowercaseNormalizer().normalize(&text)
        #expect(text.string == "fie")
    }

    @Test func encodeBatchPadsLeftToAFixedLength() throws {
        let t = try Fixtures.tokenizer("bert_uncased", legacy: false)
        let batch = t.encodeBatch(["hello", "hello world"], padding: Padding(.fixed(8), side: .left))
        #expect(batch.allSatisfy { $0.count == 8 })
        #expect(batch[0].attentionMask.prefix(5) == [0, 0, 0, 0, 0])
        #expect(batch[0].ids.first == t.padTokenID)
    }

    @Test func extraDecoders() throws {
        let d = try TokenDecoderFactory.make(
            node(
                #"""
                {"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},
                 {"type":"ByteFallback"},{"type":"Fuse"},{"type":"Strip","content":" ","start":1,"stop":0}]}
                """#))
        #expect(d.decodeChain(["▁Hi", "<0xC3>", "<0xA9>", "▁there", "<0xFF>"]) == ["Hié there\u{FFFD}"])
    }
}
