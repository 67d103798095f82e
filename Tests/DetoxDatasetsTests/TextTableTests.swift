import DetoxDatasets
import DetoxTestFiles
import DetoxTokenizers
import Foundation
import Testing

@Suite struct TextTableTests {
    @Test func jsonLinesReachIntoNestedObjectsAndReadNullAsAbsent() throws {
        let text = """
            {"filename": "a", "prompt": {"text": "Hello there", "toxicity": 0.5}, "continuation": {"text": " friend"}}
            {"prompt": {"text": "Second", "toxicity": null}, "continuation": null}
            {"prompt.text": "literal key wins", "prompt": {"text": "nested"}}
            """
        let table = try TextTable.parse(
            Data(text.utf8), file: "rtp.jsonl",
            fields: [.init("prompt.text"), .init("continuation.text", required: false)], format: .jsonLines)
        #expect(
            table.rows.map(\.values) == [["Hello there", " friend"], ["Second", nil], ["literal key wins", nil]])
        #expect(table.rows.map(\.line) == [1, 2, 3])
    }

    @Test func jsonLinesNameTheMissingOrMistypedField() {
        #expect(throws: DatasetError.missingColumn(file: "p.jsonl", column: "prompt", line: 2)) {
            try TextTable.parse(
                Data("{\"prompt\": \"a\"}\n{\"text\": \"b\"}\n".utf8), file: "p.jsonl", fields: [.init("prompt")],
                format: .jsonLines)
        }
        #expect(throws: DatasetError.malformedRecord(file: "p.jsonl", line: 1, reason: "\"prompt\" is not a string")) {
            try TextTable.parse(
                Data("{\"prompt\": {\"text\": \"a\"}}\n".utf8), file: "p.jsonl", fields: [.init("prompt")],
                format: .jsonLines)
        }
    }

    @Test func csvUsesTheFirstNamePresentAndAliases() throws {
        let text = "completion,extra,text\n\" world\",x,\"Hi, you\"\nb,y,a\n"
        let table = try TextTable.parse(
            Data(text.utf8), file: "p.csv", fields: [.init("prompt", "text"), .init("completion")], format: .csv)
        #expect(table.rows.map(\.values) == [["Hi, you", " world"], ["a", "b"]])
        #expect(throws: DatasetError.missingColumn(file: "p.csv", column: "response", line: 1)) {
            try TextTable.parse(Data(text.utf8), file: "p.csv", fields: [.init("response")], format: .csv)
        }
    }

    @Test func plainTextGivesOneRowPerNonBlankLine() throws {
        let text = "\u{FEFF}first line\r\n\n   \nsecond\tline  \nlast"
        let table = try TextTable.parse(Data(text.utf8), file: "p.txt", fields: [.init("prompt")], format: .textLines)
        #expect(table.rows.map(\.values) == [["first line"], ["second\tline  "], ["last"]])
        #expect(table.rows.map(\.line) == [1, 4, 5])
        #expect(throws: DatasetError.self) {
            try TextTable.parse(
                Data(text.utf8), file: "p.txt", fields: [.init("prompt"), .init("completion")], format: .textLines)
        }
        #expect(throws: DatasetError.malformedRecord(file: "bad.txt", line: 2, reason: "not UTF-8 text")) {
            try TextTable.parse(
                Data([0x61, 0x0A, 0xFF, 0x0A]), file: "bad.txt", fields: [.init("p")], format: .textLines)
        }
    }

    @Test func formatComesFromTheExtension() {
        #expect(TextTable.Format(url: URL(fileURLWithPath: "/a/b.JSONL")) == .jsonLines)
        #expect(TextTable.Format(url: URL(fileURLWithPath: "/a/b.json")) == .jsonLines)
        #expect(TextTable.Format(url: URL(fileURLWithPath: "/a/b.csv")) == .csv)
        #expect(TextTable.Format(url: URL(fileURLWithPath: "/a/prompts.txt")) == .textLines)
        #expect(TextTable.Format(url: URL(fileURLWithPath: "/a/prompts")) == .textLines)
    }
}

@Suite struct PromptCompletionTests {
    /// A tiny WordPiece tokenizer written inline (no fixture needed).
    static let tokenizerJSON = """
        {"version":"1.0","truncation":null,"padding":null,
         "added_tokens":[{"id":0,"content":"[PAD]","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true},
                         {"id":1,"content":"[UNK]","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}],
         "normalizer":{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":null,"lowercase":true},
         "pre_tokenizer":{"type":"BertPreTokenizer"},
         "post_processor":null,
         "decoder":{"type":"WordPiece","prefix":"##","cleanup":true},
         "model":{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":100,
                  "vocab":{"[PAD]":0,"[UNK]":1,"summarize":2,":":3,"hi":4,"there":5,"#":6,"person":7,"##1":8,"a":9,"greeting":10}}}
        """

    /// ``tokenizerJSON`` with T5's post-processor: `$A </s>`.
    static func closingTokenizer() throws -> Tokenizer {
        var json = tokenizerJSON
        json = json.replacingOccurrences(
            of: #""post_processor":null"#,
            with: #"""
                "post_processor":{"type":"TemplateProcessing",
                  "single":[{"Sequence":{"id":"A","type_id":0}},{"SpecialToken":{"id":"</s>","type_id":0}}],
                  "pair":[{"Sequence":{"id":"A","type_id":0}},{"Sequence":{"id":"B","type_id":0}}],
                  "special_tokens":{"</s>":{"id":"</s>","ids":[11],"tokens":["</s>"]}}}
                """#)
        json = json.replacingOccurrences(
            of: #""special":true}],"#,
            with:
                #""special":true},{"id":11,"content":"</s>","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}],"#
        )
        return try Tokenizer(tokenizerJSONData: Data(json.utf8))
    }

    /// The completion's tokens then EOS, truncated to leave room for it, are exactly what the
    /// tokenizer gives a target whose only special token is a closing EOS (T5's `tokenizer(summary)`),
    /// and the prompt is `tokenizer(prompt)` truncated with its special tokens counted.
    @Test func tokensMatchTheTokenizersOwnTargetEncoding() throws {
        let tokenizer = try Self.closingTokenizer()
        let example = PromptCompletion(prompt: "summarize: hi there", completion: "a greeting greeting")
        for (maxPrompt, maxCompletion) in [(16, 16), (3, 2), (2, 1)] {
            let tokens = example.tokens(
                tokenizer: tokenizer, eos: 11, maxPromptLength: maxPrompt, maxCompletionLength: maxCompletion)
            #expect(
                tokens.prompt
                    == tokenizer.encode(example.prompt, pair: nil, truncation: .init(maxLength: maxPrompt)).ids)
            #expect(
                tokens.completion
                    == tokenizer.encode(example.completion, pair: nil, truncation: .init(maxLength: maxCompletion)).ids)
            #expect(tokens.completion.last == 11)
        }
        #expect(
            example.tokens(tokenizer: tokenizer, eos: 11, maxPromptLength: 16, maxCompletionLength: 16).prompt
                == [2, 3, 4, 5, 11])
    }

    @Test func loadsNamedFieldsFromAFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let url = folder.file("pairs.jsonl")
        try Data(#"{"q": {"text": "Hi"}, "a": " there"}"#.utf8).write(to: url)
        let loaded = try PromptCompletion.load(url, fields: .init(prompt: "q.text", completion: "a"))
        #expect(loaded.examples == [PromptCompletion(prompt: "Hi", completion: " there")])
        #expect(PromptCompletion.Fields(naming: nil, nil) == nil)
        #expect(PromptCompletion.Fields(naming: nil, "answer") == .init(prompt: "prompt", completion: "answer"))
    }
}
