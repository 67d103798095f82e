import DetoxDatasets
import DetoxTestFiles
import Foundation
import Testing

@Suite struct PromptDatasetTests {
    static func file(_ name: String, _ text: String) throws -> (TemporaryFolder, URL) {
        let folder = try TemporaryFolder()
        let url = folder.file(name)
        try Data(text.utf8).write(to: url)
        return (folder, url)
    }

    /// Two rows of RealToxicityPrompts as published (other score fields trimmed), a null score and
    /// a score at the threshold.
    static let realToxicity = """
        {"filename": "a.txt", "begin": 0, "end": 10, "challenging": false, "prompt": {"text": "You are such a", "toxicity": 0.81, "profanity": 0.6}, "continuation": {"text": " fool.", "toxicity": 0.9, "profanity": null}}
        {"filename": "b.txt", "begin": 3, "end": 9, "challenging": false, "prompt": {"text": "Nice day", "toxicity": 0.05}, "continuation": {"text": " today", "toxicity": 0.01}}
        {"filename": "c.txt", "begin": 1, "end": 2, "challenging": true, "prompt": {"text": "No score", "toxicity": null}, "continuation": {"text": " here", "toxicity": null}}
        {"filename": "d.txt", "begin": 1, "end": 2, "challenging": false, "prompt": {"text": "At the line", "toxicity": 0.3}, "continuation": {"text": " exactly", "toxicity": 0.2}}
        {"filename": "e.txt", "begin": 1, "end": 2, "challenging": true, "prompt": {"text": "Shut up", "toxicity": 0.95}, "continuation": {"text": " now", "toxicity": 0.7}}

        """

    /// TRL's filter keeps `prompt.toxicity > 0.3` (null out, 0.3 out) and joins prompt and
    /// continuation text as they are.
    @Test func realToxicityPromptsKeepsTheToxicRowsWithTheirContinuations() throws {
        let (folder, url) = try Self.file("prompts.jsonl", Self.realToxicity)
        defer { folder.cleanUp() }
        let dataset = try PromptDataset.load(url, source: .realToxicityPrompts)
        #expect(dataset.prompts.map(\.text) == ["You are such a fool.", "Shut up now"])
        #expect(dataset.prompts.map(\.line) == [1, 5])
        #expect(dataset.skipped.isEmpty)
    }

    /// `train_test_split(test_size=0.2, shuffle=False)`: the test part is the last ceil(0.2 n)
    /// rows (sizes checked against `datasets` 5.0.1: n 15 → 12/3, 16 → 12/4, 7 → 5/2, 3 → 2/1).
    @Test func theSplitKeepsFileOrderAndRoundsTheTestPartUp() throws {
        let prompts = (1...16).map { PromptDataset.Prompt(text: "p\($0)", line: $0) }
        let fifteen = try PromptDataset(prompts: Array(prompts.prefix(15)), skipped: []).split(testShare: 0.2)
        #expect(fifteen.train.prompts.map(\.line) == Array(1...12))
        #expect(fifteen.test.prompts.map(\.line) == Array(13...15))
        for (n, train) in [(16, 12), (7, 5), (3, 2)] {
            let parts = try PromptDataset(prompts: Array(prompts.prefix(n)), skipped: []).split(testShare: 0.2)
            #expect(parts.train.count == train && parts.test.count == n - train, "n \(n)")
        }
        let one = PromptDataset(prompts: Array(prompts.prefix(1)), skipped: [])
        #expect(throws: DatasetError.self) { try one.split(testShare: 0.2) }
    }

    @Test func missingOrNullTextsNameTheFileLineAndField() throws {
        let missing = #"{"prompt": {"text": "a", "toxicity": 0.9}}"# + "\n"
        let (folder, url) = try Self.file("p.jsonl", missing)
        defer { folder.cleanUp() }
        #expect(throws: DatasetError.missingColumn(file: url.path, column: "continuation.text", line: 1)) {
            try PromptDataset.load(url, source: .realToxicityPrompts)
        }
        let nullText = #"{"prompt": {"text": null, "toxicity": 0.9}, "continuation": {"text": "b"}}"#
        try Data((Self.realToxicity + nullText + "\n").utf8).write(to: url)
        #expect(throws: DatasetError.malformedRecord(file: url.path, line: 6, reason: "\"prompt.text\" is null")) {
            try PromptDataset.load(url, source: .realToxicityPrompts)
        }
        let skipping = try PromptDataset.load(url, source: .realToxicityPrompts, malformedRows: .skip)
        #expect(skipping.count == 2)
        #expect(skipping.skipped == [.malformedRecord(file: url.path, line: 6, reason: "\"prompt.text\" is null")])
        let noScore = #"{"prompt": {"text": "a"}, "continuation": {"text": "b"}}"# + "\n"
        try Data(noScore.utf8).write(to: url)
        #expect(throws: DatasetError.missingColumn(file: url.path, column: "prompt.toxicity", line: 1)) {
            try PromptDataset.load(url, source: .realToxicityPrompts)
        }
    }

    @Test func anEmptyFilterResultIsAnErrorNamingTheFilter() throws {
        let calm = #"{"prompt": {"text": "a", "toxicity": 0.1}, "continuation": {"text": "b", "toxicity": 0.0}}"#
        let (folder, url) = try Self.file("calm.jsonl", calm + "\n")
        defer { folder.cleanUp() }
        #expect(throws: DatasetError.filteredOut(file: url.path, filter: "prompt.toxicity > 0.3")) {
            try PromptDataset.load(url, source: .realToxicityPrompts)
        }
        try Data("\n\n".utf8).write(to: url)
        #expect(throws: DatasetError.empty(file: url.path)) {
            try PromptDataset.load(url, source: .realToxicityPrompts)
        }
    }

    /// wiki_toxic keeps `label == 1` and the first 2000 code points of the comment, from CSV
    /// (labels as text) or JSON Lines (labels as numbers).
    @Test func wikiToxicKeepsToxicCommentsCutAt2000CodePoints() throws {
        let long = String(repeating: "é", count: 1999) + "🙂xyz"
        let csv = "id,comment_text,label\nx1,\"calm, fine\",0\nx2,\"\(long)\",1\nx3,you idiot,1\n"
        let (folder, url) = try Self.file("test.csv", csv)
        defer { folder.cleanUp() }
        let dataset = try PromptDataset.load(url, source: .wikiToxic)
        try #require(dataset.count == 2)
        #expect(dataset.prompts[0].text.unicodeScalars.count == 2000)
        #expect(dataset.prompts[0].text == String(repeating: "é", count: 1999) + "🙂")
        #expect(dataset.prompts[1] == PromptDataset.Prompt(text: "you idiot", line: 4))

        let jsonl = folder.file("test.jsonl")
        try Data(
            (#"{"id": "a", "comment_text": "hi", "label": 0}"# + "\n"
                + #"{"id": "b", "comment_text": "ugh", "label": 1}"#)
                .utf8
        ).write(to: jsonl)
        #expect(try PromptDataset.load(jsonl, source: .wikiToxic).prompts.map(\.text) == ["ugh"])

        try Data("id,comment_text,label\nx1,a,maybe\n".utf8).write(to: url)
        #expect(
            throws: DatasetError.malformedRecord(file: url.path, line: 2, reason: "\"label\" is \"maybe\", not 0 or 1")
        ) { try PromptDataset.load(url, source: .wikiToxic) }
        try Data("id,comment_text,label\nx1,a,0\n".utf8).write(to: url)
        #expect(throws: DatasetError.filteredOut(file: url.path, filter: "label == 1")) {
            try PromptDataset.load(url, source: .wikiToxic)
        }
    }

    @Test func aNamedFieldReadsEveryRowAndNamesRoundTrip() throws {
        let (folder, url) = try Self.file(
            "p.jsonl", #"{"meta": {"text": "one"}}"# + "\n" + #"{"meta": {"text": "two"}}"#)
        defer { folder.cleanUp() }
        let dataset = try PromptDataset.load(url, source: .field("meta.text"))
        #expect(dataset.prompts.map(\.text) == ["one", "two"])
        for source in [PromptSource.realToxicityPrompts, .wikiToxic, .field("meta.text")] {
            #expect(PromptSource(name: source.name) == source)
        }
        #expect(PromptSource(name: "field:") == nil)
        #expect(PromptSource(name: "dialogsum") == nil)
    }
}
