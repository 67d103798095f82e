import Foundation
import Testing

@testable import DetoxCheckpoints

// MARK: - Unpickler on Python-written pickles

@Suite("Restricted unpickler and inflater against Python's pickle and zlib")
struct PyTorchBinUnpicklerTests {
    /// The unpickled `plain_values()` dict of the fixture script, by key.
    static func plainValues(protocol version: Int) throws -> [String: PickleValue] {
        let url = try pytorchFixture("plain_values_protocol\(version).pkl")
        var unpickler = RestrictedUnpickler(file: url.path, data: Array(try Data(contentsOf: url)))
        guard case .dict(let dict) = try unpickler.load() else {
            Issue.record("not a dict")
            return [:]
        }
        var result: [String: PickleValue] = [:]
        for (key, value) in dict.pairs {
            guard case .string(let name) = key else { continue }
            result[name] = value
        }
        return result
    }

    /// A plain rendering of a value, to compare with the Python literal.
    static func render(_ value: PickleValue?) -> String {
        guard let value else { return "<missing>" }
        switch value {
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .float(let d): return String(d)
        case .string(let s): return "'\(s)'"
        case .bytes(let b): return "b\(b)"
        case .tuple(let items, _): return "(" + items.map { render($0) }.joined(separator: ", ") + ")"
        case .list(let list): return "[" + list.items.map { render($0) }.joined(separator: ", ") + "]"
        case .dict(let dict):
            return "{" + dict.pairs.map { render($0.key) + ": " + render($0.value) }.joined(separator: ", ") + "}"
        default: return value.kind
        }
    }

    @Test("pickle.dumps of plain values reads back the same at protocols 2 to 5", arguments: [2, 3, 4, 5])
    func plainValues(_ version: Int) throws {
        let values = try Self.plainValues(protocol: version)
        let expected: [String: String] = [
            "small": "7", "byte": "255", "short": "65535", "int": "-123456", "big": "1099511627776",
            "min": "-9223372036854775808", "max": "9223372036854775807", "float": "-0.0015",
            "text": "'Grüße ✓'", "long_text": "'\(String(repeating: "x", count: 300))'",
            "bytes": "b[0, 1, 255]", "long_bytes": "b\([UInt8](repeating: 0, count: 300))",
            "none": "None", "yes": "True", "no": "False", "tuple": "(1, 'a', (2.5))",
            "list": "[1, [2, 3], {'k': 'v'}]", "shared_a": "[1, 2]", "shared_b": "[1, 2]", "empty": "()",
        ]
        #expect(values.count == expected.count)
        for (key, text) in expected {
            #expect(Self.render(values[key]) == text, "protocol \(version): \(key)")
        }
        // The memo shares one list object between the two keys, as Python does.
        if case .list(let a) = values["shared_a"], case .list(let b) = values["shared_b"] {
            #expect(a === b)
        } else {
            Issue.record("shared lists missing")
        }
    }

    struct DeflateSample: Decodable {
        let name: String
        let level: Int
        let deflated: String
        let original: String
        let crc32: UInt32
    }

    @Test("raw DEFLATE streams from Python's zlib inflate to the original bytes")
    func inflateSamples() throws {
        struct Samples: Decodable { let samples: [DeflateSample] }
        let data = try Data(contentsOf: try pytorchFixture("deflate_samples.json"))
        let samples = try JSONDecoder().decode(Samples.self, from: data).samples
        try #require(samples.count == 20)
        for sample in samples {
            let input = try #require(Data(base64Encoded: sample.deflated))
            let original = [UInt8](try #require(Data(base64Encoded: sample.original)))
            let output = try Array(input).withUnsafeBytes { try Inflate.decompress($0, expectedCount: original.count) }
            #expect(output == original, "\(sample.name)")
            #expect(output.withUnsafeBytes { CRC32.checksum($0) } == sample.crc32, "\(sample.name)")
        }
    }

    @Test("damaged DEFLATE streams are errors, and output is capped at the expected size")
    func inflateErrors() throws {
        let data = try Data(contentsOf: try pytorchFixture("deflate_samples.json"))
        struct Samples: Decodable { let samples: [DeflateSample] }
        let sample = try #require(
            try JSONDecoder().decode(Samples.self, from: data).samples.first { $0.name == "text-level6" })
        let input = Array(try #require(Data(base64Encoded: sample.deflated)))
        let count = try #require(Data(base64Encoded: sample.original)).count
        // Too small an expected size: refused rather than grown.
        #expect(throws: Inflate.InflateError.self) {
            try input.withUnsafeBytes { _ = try Inflate.decompress($0, expectedCount: count - 1) }
        }
        // Every truncation fails cleanly.
        for cut in 0..<input.count {
            #expect(throws: Inflate.InflateError.self) {
                try Array(input.prefix(cut)).withUnsafeBytes { _ = try Inflate.decompress($0, expectedCount: count) }
            }
        }
        // Block type 3 is invalid.
        #expect(throws: Inflate.InflateError.self) {
            try [UInt8]([0x07]).withUnsafeBytes { _ = try Inflate.decompress($0, expectedCount: 10) }
        }
        // Random bytes never crash.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let noise = (0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? noise.withUnsafeBytes { try Inflate.decompress($0, expectedCount: 4096) }
        }
    }
}
