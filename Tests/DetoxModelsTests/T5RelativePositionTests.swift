// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (fixture fields keep the snake_case keys the Python fixture scripts write)
import DetoxModels
import Foundation
import Testing

/// `T5RelativePosition.bucket` against `T5Attention._relative_position_bucket` (transformers
/// 4.46.3) for relative positions −300...300, both directions, five (buckets, max distance) pairs.
/// Exact integer equality.
@Suite struct T5RelativePositionTests {
    struct Fixture: Decodable {
        struct Case: Decodable {
            let num_buckets: Int
            let max_distance: Int
            let bidirectional: Bool
            let buckets: [Int]
        }
        let relative_positions: [Int]
        let cases: [Case]
    }

    @Test func bucketsMatchTransformers() throws {
        let url = try T5Fixtures.folder("t5-buckets").appendingPathComponent("buckets.json")
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        try #require(fixture.cases.count == 10)
        for c in fixture.cases {
            let ours = fixture.relative_positions.map {
                T5RelativePosition.bucket(
                    $0, bidirectional: c.bidirectional, bucketCount: c.num_buckets, maxDistance: c.max_distance)
            }
            let mismatches = zip(fixture.relative_positions, zip(ours, c.buckets)).filter { $0.1.0 != $0.1.1 }
            #expect(
                mismatches.isEmpty,
                "buckets \(c.num_buckets), distance \(c.max_distance), bidirectional \(c.bidirectional): \(mismatches.prefix(5))"
            )
        }
    }

    @Test func bucketMatrixIsKeyMinusQuery() {
        let matrix = T5RelativePosition.buckets(
            queryPositions: 3..<5, keyLength: 6, bidirectional: false, bucketCount: 32, maxDistance: 128)
        #expect(matrix.count == 12)
        for (row, query) in (3..<5).enumerated() {
            for key in 0..<6 {
                #expect(
                    matrix[row * 6 + key]
                        == T5RelativePosition.bucket(
                            key - query, bidirectional: false, bucketCount: 32, maxDistance: 128))
            }
        }
    }
}
