import Foundation
import Testing

@testable import DetoxEvaluation

/// Parity with nltk's `PorterStemmer()` (mode `NLTK_EXTENSIONS`) on the fixture word list: every
/// stem exactly.
@Suite struct RougeStemmerTests {
    @Test func fixtureWords() throws {
        let fixture = try RougeFixtures.stems()
        #expect(fixture.mode == "NLTK_EXTENSIONS")
        try #require(fixture.words.count >= 300)
        let stemmer = PorterStemmer()
        var failures: [String] = []
        for entry in fixture.words {
            guard entry.count == 2 else {
                failures.append("malformed entry \(entry)")
                continue
            }
            let actual = stemmer.stem(entry[0])
            if actual != entry[1] { failures.append("\(entry[0]) → \(actual), nltk \(entry[1])") }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(fixture.words.count) stems differ: \(failures.prefix(10))")
    }

    /// Cases from the Porter paper and nltk's extensions, written out so a failure reads at once.
    @Test(arguments: [
        ("caresses", "caress"), ("ponies", "poni"), ("ties", "tie"), ("cats", "cat"),
        ("agreed", "agre"), ("plastered", "plaster"), ("motoring", "motor"), ("hopping", "hop"),
        ("skies", "sky"), ("dying", "die"), ("news", "news"), ("innings", "inning"),
        ("generously", "gener"), ("happy", "happi"), ("enjoy", "enjoy"), ("relational", "relat"),
        ("is", "is"), ("RUNNING", "run"),
    ])
    func knownStems(word: String, stem: String) {
        #expect(PorterStemmer().stem(word) == stem)
    }

    /// nltk `stem(word, to_lowercase=False)`: capitals stay (and are consonants): "Running" → "Run".
    @Test func toLowercaseFalseKeepsCase() {
        #expect(PorterStemmer().stem("Running", toLowercase: false) == "Run")
        #expect(PorterStemmer().stem("RUNNING", toLowercase: false) == "RUNNING")
        #expect(PorterStemmer().stem("running", toLowercase: false) == "run")
    }
}
