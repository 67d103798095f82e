import DetoxDatasets
import DetoxTestFiles
import DetoxTokenizers
import Foundation
import Testing

@Suite struct CSVReaderTests {
    func parse(_ text: String) throws -> [CSVReader.Record] {
        try CSVReader(file: "test.csv").records(in: Data(text.utf8))
    }

    @Test func quotedNewlinesDoubledQuotesAndCRLF() throws {
        let text = "id,dialogue\r\n1,\"#Person1#: Hi, there.\r\n#Person2#: \"\"Hello\"\"!\"\r\n2,plain\r\n"
        let records = try parse(text)
        #expect(records.count == 3)
        #expect(records[1].fields == ["1", "#Person1#: Hi, there.\r\n#Person2#: \"Hello\"!"])
        #expect(records[1].line == 2)
        #expect(records[2].fields == ["2", "plain"])
        #expect(records[2].line == 4)
    }

    @Test func byteOrderMarkEmptyFieldsAndNoFinalNewline() throws {
        let records = try parse("\u{FEFF}a,b,c\n,,\n\"\",x,\"y\"")
        #expect(records.map(\.fields) == [["a", "b", "c"], ["", "", ""], ["", "x", "y"]])
    }

    @Test func unterminatedQuoteNamesItsLine() {
        #expect(throws: DatasetError.unterminatedQuote(file: "test.csv", line: 3)) {
            try parse("id,dialogue\n1,ok\n2,\"never closed\nmore")
        }
    }

    @Test func multibyteTextSurvives() throws {
        #expect(try parse("x\n\"café ☕ 你好\"\n")[1].fields == ["café ☕ 你好"])
    }
}

@Suite struct DialogueDatasetTests {
    static let csv = """
        id,dialogue,summary,topic
        train_0,"#Person1#: Hi, Mr. Smith.
        #Person2#: Hello.",Mr. Smith greets #Person1#.,greeting
        train_1,"#Person1#: Short one.",A short one.,misc
        train_2,broken row,only three
        train_3,"#Person1#: ""Quoted"" words.",Quotes.,quotes

        """

    @Test func readsDialogSumColumnsAndReportsRaggedRows() throws {
        #expect(throws: DatasetError.raggedRow(file: "dialogsum.csv", line: 5, expected: 4, actual: 3)) {
            try DialogueDataset.csv(Data(Self.csv.utf8), file: "dialogsum.csv")
        }
        let dataset = try DialogueDataset.csv(Data(Self.csv.utf8), file: "dialogsum.csv", malformedRows: .skip)
        #expect(dataset.count == 3)
        #expect(dataset.skipped == [.raggedRow(file: "dialogsum.csv", line: 5, expected: 4, actual: 3)])
        #expect(
            dataset.records[0]
                == DialogueRecord(
                    id: "train_0", dialogue: "#Person1#: Hi, Mr. Smith.\n#Person2#: Hello.",
                    summary: "Mr. Smith greets #Person1#.", topic: "greeting"))
        #expect(dataset.records[2].dialogue == "#Person1#: \"Quoted\" words.")
    }

    @Test func missingColumnIsAnError() {
        #expect(throws: DatasetError.missingColumn(file: "x.csv", column: "dialogue", line: 1)) {
            try DialogueDataset.csv(Data("id,text\n1,hello\n".utf8), file: "x.csv")
        }
        #expect(throws: DatasetError.empty(file: "y.csv")) { try DialogueDataset.csv(Data(), file: "y.csv") }
    }

    @Test func jsonLinesWithOriginalFieldNamesAndBadLines() throws {
        let text = """
            {"fname": "test_0", "dialogue": "#Person1#: A", "summary1": "S1", "topic1": "t"}
            {"id": "test_1", "dialogue": "#Person1#: B", "summary": "S2"}
            not json
            {"id": "test_3", "dialogue": 7}
            """
        #expect(throws: DatasetError.malformedRecord(file: "d.jsonl", line: 3, reason: "invalid JSON")) {
            try DialogueDataset.jsonLines(Data(text.utf8), file: "d.jsonl")
        }
        let dataset = try DialogueDataset.jsonLines(Data(text.utf8), file: "d.jsonl", malformedRows: .skip)
        #expect(dataset.records.map(\.id) == ["test_0", "test_1"])
        #expect(dataset.records[0].summary == "S1")
        #expect(dataset.skipped.count == 2)
        #expect(
            dataset.skipped.last == .malformedRecord(file: "d.jsonl", line: 4, reason: "\"dialogue\" is not a string"))
    }

    /// What JSON forbids inside a string — raw control bytes and bytes that are not UTF-8 — makes its
    /// line malformed instead of being read as something else, and a lone high surrogate escape
    /// becomes U+FFFD without swallowing the escape that follows it.
    @Test func jsonLinesRejectControlBytesAndInvalidUTF8() throws {
        let good = Data(#"{"id": "a", "dialogue": "x\ud800\u0041y", "summary": "s"}"#.utf8)
        let dataset = try DialogueDataset.jsonLines(good, file: "ok.jsonl")
        #expect(dataset.records.map(\.dialogue) == ["x\u{FFFD}Ay"])
        let prefix = Data(#"{"id": "b", "dialogue": "x"#.utf8)
        let suffix = Data(#"y", "summary": "s"}"#.utf8)
        for bad in [Data([0x09]), Data([0x00]), Data([0xFF]), Data([0xC3]), Data([0xED, 0xA0, 0x80])] {
            #expect(throws: DatasetError.malformedRecord(file: "bad.jsonl", line: 1, reason: "invalid JSON")) {
                try DialogueDataset.jsonLines(prefix + bad + suffix, file: "bad.jsonl")
            }
        }
    }

    /// U+FEFF at the start of a value is a character of the text (a zero-width no-break space), not
    /// a byte order mark, and must come back from a `.jsonl` file exactly as it was written, whether
    /// the file holds it raw or escaped and whether or not the file starts with a real BOM.
    @Test func leadingFEFFInAValueRoundTrips() throws {
        let record = DialogueRecord(
            id: "\u{FEFF}bom-1", dialogue: "\u{FEFF}#Person1#: Hi.", summary: "\u{FEFF}\u{FEFF}S", topic: "t")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let encoded = try encoder.encode([
            "id": record.id, "dialogue": record.dialogue, "summary": record.summary, "topic": record.topic,
        ])
        let escaped =
            #"{"id": "\ufeffbom-1", "dialogue": "\uFEFF#Person1#: Hi.", "summary": "\ufeff\ufeffS", "topic": "t"}"#
        let fileBOM = Data([0xEF, 0xBB, 0xBF])
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        for (name, contents, rows) in [
            ("encoded.jsonl", encoded, 1), ("escaped.jsonl", Data(escaped.utf8), 1),
            ("bom.jsonl", fileBOM + encoded + Data("\n".utf8) + Data(escaped.utf8), 2),
        ] {
            let url = folder.file(name)
            try contents.write(to: url)
            let loaded = try DialogueDataset.load(url).records
            try #require(loaded.count == rows, "\(name)")
            for read in loaded {
                #expect(Array(read.id.unicodeScalars) == Array(record.id.unicodeScalars), "\(name)")
                #expect(Array(read.dialogue.unicodeScalars) == Array(record.dialogue.unicodeScalars), "\(name)")
                #expect(Array(read.summary.unicodeScalars) == Array(record.summary.unicodeScalars), "\(name)")
                #expect(read.topic == "t", "\(name)")
            }
        }
    }

    @Test func loadsFromFilesByExtension() throws {
        let folder = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: folder) }
        let csvURL = folder.appendingPathComponent("train.csv")
        try Data("id,dialogue,summary,topic\na,d,s,t\n".utf8).write(to: csvURL)
        #expect(
            try DialogueDataset.load(csvURL).records == [
                DialogueRecord(id: "a", dialogue: "d", summary: "s", topic: "t")
            ])
        #expect(throws: DatasetError.self) { try DialogueDataset.load(folder.appendingPathComponent("absent.csv")) }
    }

    /// The course lab's selection: `200 < len(dialogue) <= 1000`, then an unshuffled 80/20 split
    /// (10022 rows gave 8017 / 2005).
    @Test func filterAndSplitFollowTheLab() throws {
        let records = (0..<10).map { i in
            DialogueRecord(id: "\(i)", dialogue: String(repeating: "é", count: 195 + i), summary: "")
        }
        let filtered = DialogueDataset(records: records).filtered(dialogueLength: 201...1000)
        #expect(filtered.records.map(\.id) == ["6", "7", "8", "9"])

        let many = DialogueDataset(records: (0..<10022).map { DialogueRecord(id: "\($0)", dialogue: "", summary: "") })
        let (train, test) = try many.split(testFraction: 0.2)
        #expect(train.count == 8017 && test.count == 2005)
        #expect(test.records.first?.id == "8017")
        let (a, _) = try many.split(testFraction: 0.2, shuffleSeed: 42)
        let (b, _) = try many.split(testFraction: 0.2, shuffleSeed: 42)
        #expect(a.records == b.records && a.records != train.records)
        #expect(throws: DatasetError.invalidSetting(name: "test fraction", reason: "must be between 0 and 1, got 1.0"))
        {
            try many.split(testFraction: 1)
        }
    }

    @Test func promptTemplates() {
        let record = DialogueRecord(id: "1", dialogue: "#Person1#: Hi.", summary: "", topic: "greeting")
        #expect(
            PromptTemplate.summarize.render(record)
                == "\nSummarize the following conversation.\n\n#Person1#: Hi.\n\nSummary:\n")
        #expect(
            PromptTemplate("{topic}: {dialogue} / {dialogue}").render(record)
                == "greeting: #Person1#: Hi. / #Person1#: Hi.")
        #expect(!PromptTemplate("no placeholder").isValid)
    }
}
