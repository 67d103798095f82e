// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (fixture fields keep the snake_case keys the Python fixture scripts write)
import Foundation
import Testing

@testable import DetoxEvaluation

/// Reference outputs written by `Scripts/fixtures/make_rouge_fixtures.py` (rouge-score 0.1.2 and
/// nltk's Porter stemmer; see Fixtures/README-rouge.md).
enum RougeFixtures {
    /// `rouge/scores.json`.
    struct Scores: Decodable {
        struct Pair: Decodable {
            let id: Int
            let target: String
            let prediction: String
            /// "plain"/"stemmed" → [target tokens, prediction tokens].
            let tokens: [String: [[String]]]
            /// "plain"/"stemmed" → type name → [precision, recall, fmeasure].
            let scores: [String: [String: [Double]]]
        }

        struct Multi: Decodable {
            let targets: [String]
            let prediction: String
            let scores: [String: [String: [Double]]]
        }

        struct Aggregate: Decodable {
            /// type name → mean [precision, recall, fmeasure].
            let mean: [String: [Double]]
            let bootstrap_mid_fmeasure_seed0: [String: Double]
        }

        let rouge_score_version: String
        let nltk_version: String
        let types: [String]
        let aggregate: [String: Aggregate]
        let multi: [Multi]
        let pairs: [Pair]
    }

    /// `rouge/stemmer.json`.
    struct Stems: Decodable {
        let nltk_version: String
        let mode: String
        /// [word, stem] pairs.
        let words: [[String]]
    }

    static func url(_ name: String) throws -> URL {
        let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return root.appendingPathComponent("rouge").appendingPathComponent(name)
    }

    static func scores() throws -> Scores {
        try JSONDecoder().decode(Scores.self, from: Data(contentsOf: url("scores.json")))
    }

    static func stems() throws -> Stems {
        try JSONDecoder().decode(Stems.self, from: Data(contentsOf: url("stemmer.json")))
    }

    /// The two settings every pair is scored with.
    static let settings: [(key: String, useStemmer: Bool)] = [("plain", false), ("stemmed", true)]
}
