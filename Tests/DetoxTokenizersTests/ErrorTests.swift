import DetoxTestFiles
import Foundation
import Testing

@testable import DetoxTokenizers

/// Malformed or unsupported files are typed errors naming the file and the JSON path.
@Suite struct ErrorTests {
    private func load(_ json: String) throws -> Tokenizer {
        try Tokenizer(tokenizerJSONData: Data(json.utf8), file: "tokenizer.json")
    }

    private let model = #"{"type":"WordPiece","unk_token":"[UNK]","vocab":{"[UNK]":0,"a":1}}"#

    @Test func invalidJSONNamesTheFile() {
        #expect {
            _ = try load("{\"model\": ")
        } throws: { error in
            guard case .malformed(let file, let path, let expected, _) = error as? TokenizerError else { return false }
            return file == "tokenizer.json" && path == "$" && expected == "valid JSON"
        }
    }

    @Test func unknownStageTypesAreReportedWithTheirPath() {
        let json =
            #"{"normalizer":{"type":"Sequence","normalizers":[{"type":"Lowercase"},{"type":"Frobnicate"}]},"model":"#
            + model + "}"
        #expect(
            throws: TokenizerError.unsupported(
                file: "tokenizer.json", path: "$.normalizer.normalizers[1].type", kind: "normalizer",
                value: "Frobnicate")
        ) {
            _ = try load(json)
        }
        let pre = #"{"pre_tokenizer":{"type":"Nope"},"model":"# + model + "}"
        #expect(
            throws: TokenizerError.unsupported(
                file: "tokenizer.json", path: "$.pre_tokenizer.type", kind: "pre-tokenizer", value: "Nope")
        ) {
            _ = try load(pre)
        }
        let decoder = #"{"decoder":{"type":"CTC"},"model":"# + model + "}"
        #expect(
            throws: TokenizerError.unsupported(
                file: "tokenizer.json", path: "$.decoder.type", kind: "decoder", value: "CTC")
        ) {
            _ = try load(decoder)
        }
    }

    @Test func wrongValueTypesNameExpectedAndActual() {
        let json = #"{"model":{"type":"WordPiece","unk_token":"[UNK]","vocab":{"[UNK]":0,"a":"one"}}}"#
        #expect(
            throws: TokenizerError.malformed(
                file: "tokenizer.json", path: "$.model.vocab.a", expected: "an integer", actual: "string \"one\"")
        ) {
            _ = try load(json)
        }
    }

    @Test func unknownTokensInTemplatesAreReported() {
        let json =
            #"{"model":"# + model
            + #","post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"[CLS]","type_id":0}}],"pair":[],"special_tokens":{}}}"#
        #expect(
            throws: TokenizerError.unknownToken(
                file: "tokenizer.json", path: "$.post_processor.single[0].SpecialToken.id", token: "[CLS]")
        ) {
            _ = try load(json)
        }
    }

    @Test func missingAndTruncatedFiles() throws {
        let fm = FileManager.default
        let temp = try TemporaryFolder().url
        defer { try? fm.removeItem(at: temp) }
        #expect(throws: TokenizerError.self) { _ = try Tokenizer.load(from: temp) }

        let spiece = try Data(contentsOf: Fixtures.folder("t5").appendingPathComponent("spiece.model"))
        try spiece.prefix(1000).write(to: temp.appendingPathComponent("spiece.model"))
        #expect {
            _ = try Tokenizer.load(from: temp)
        } throws: { error in
            guard case .malformed(let file, _, _, _) = error as? TokenizerError else { return false }
            return file == "spiece.model"
        }
    }
}

/// Bad decoder-only tokenizer files: unknown model types, missing BPE members, Llama configs
/// that ask for tokens the vocabulary lacks.
@Suite struct DecoderErrorTests {
    private func load(_ json: String) throws -> Tokenizer {
        try Tokenizer(tokenizerJSONData: Data(json.utf8), file: "tokenizer.json")
    }

    @Test func unknownModelTypeNamesFileAndKey() {
        #expect(
            throws: TokenizerError.unsupported(
                file: "tokenizer.json", path: "$.model.type", kind: "model", value: "Fancy")
        ) {
            _ = try load(#"{"model":{"type":"Fancy","vocab":{}}}"#)
        }
    }

    @Test func bpeWithoutMergesNamesTheKey() {
        #expect(
            throws: TokenizerError.malformed(
                file: "tokenizer.json", path: "$.model.merges", expected: "a value", actual: "nothing")
        ) {
            _ = try load(#"{"model":{"type":"BPE","vocab":{"a":0,"b":1}}}"#)
        }
        #expect(
            throws: TokenizerError.malformed(
                file: "tokenizer.json", path: "$.model.vocab", expected: "a value", actual: "nothing")
        ) {
            _ = try load(#"{"model":{"type":"BPE","merges":[]}}"#)
        }
    }

    @Test func mergesOfUnknownTokensAreReported() {
        #expect(throws: TokenizerError.unknownToken(file: "tokenizer.json", path: "$.model.merges[0]", token: "c")) {
            _ = try load(#"{"model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":["a c"]}}"#)
        }
    }

    @Test func missingModelIsReported() {
        #expect(
            throws: TokenizerError.malformed(
                file: "tokenizer.json", path: "$.model", expected: "a value", actual: "nothing")
        ) {
            _ = try load(#"{"normalizer":null}"#)
        }
    }

    @Test func llamaConfigAskingForAnUnknownEOSIsReported() throws {
        let fm = FileManager.default
        let temp = try TemporaryFolder().url
        defer { try? fm.removeItem(at: temp) }
        let source = try Fixtures.folder("llama")
        try fm.copyItem(
            at: source.appendingPathComponent("tokenizer.json"), to: temp.appendingPathComponent("tokenizer.json"))
        let config = #"{"tokenizer_class":"LlamaTokenizer","add_eos_token":true,"eos_token":"<eos>"}"#
        try Data(config.utf8).write(to: temp.appendingPathComponent("tokenizer_config.json"))
        #expect(
            throws: TokenizerError.unknownToken(file: "tokenizer_config.json", path: "eos_token", token: "<eos>")
        ) {
            _ = try Tokenizer.load(from: temp)
        }
    }
}
