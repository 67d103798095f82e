import DetoxCheckpoints
import DetoxTensor
import Foundation
import Testing

// MARK: - Fixtures

/// The tensors and metadata written by `Scripts/fixtures/make_quantization_fixtures.py`
/// (bitsandbytes 0.50.2 on CPU, torch 2.13.0).
struct QuantizationFixtures: @unchecked Sendable {
    let file: SafeTensorsFile
    let meta: [String: Any]

    static let shared: Result<QuantizationFixtures, Error> = Result { try QuantizationFixtures() }

    static func load() throws -> QuantizationFixtures { try shared.get() }

    private init() throws {
        guard
            let tensorsURL = Bundle.module.url(
                forResource: "quantization", withExtension: "safetensors", subdirectory: "Fixtures"),
            let jsonURL = Bundle.module.url(
                forResource: "quantization", withExtension: "json", subdirectory: "Fixtures")
        else { throw FixtureError.missing("Fixtures/quantization.{safetensors,json}") }
        file = try SafeTensorsFile(url: tensorsURL)
        guard let object = try JSONSerialization.jsonObject(with: Data(contentsOf: jsonURL)) as? [String: Any] else {
            throw FixtureError.malformed("quantization.json is not an object")
        }
        meta = object
    }

    static func url(_ name: String, _ ext: String) throws -> URL {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures") else {
            throw FixtureError.missing("Fixtures/\(name).\(ext)")
        }
        return url
    }

    func tensor(_ name: String) throws -> Tensor { try file.tensor(name) }

    func floats(_ name: String) throws -> [Float] { try file.tensor(name).values }

    func bytes(_ name: String) throws -> [UInt8] {
        try file.withRawBytes(of: name) { Array($0) }
    }

    /// The quantization cases: name, shape, blocksize, and variants.
    var cases: [Case] {
        get throws {
            guard let list = meta["cases"] as? [[String: Any]] else { throw FixtureError.malformed("cases") }
            return try list.map { entry in
                guard let name = entry["name"] as? String, let shape = entry["shape"] as? [Int],
                    let blocksize = entry["blocksize"] as? Int, let variants = entry["variants"] as? [[String: Any]]
                else { throw FixtureError.malformed("case entry") }
                return Case(
                    name: name, shape: shape, blocksize: blocksize,
                    variants: try variants.map { v in
                        guard let key = v["key"] as? String, let type = v["quant_type"] as? String,
                            let double = v["double_quant"] as? Bool,
                            let matches = v["cpu_kernel_matches_reference"] as? Bool
                        else { throw FixtureError.malformed("variant of \(name)") }
                        return Variant(
                            key: key, type: type, doubleQuantization: double, cpuKernelMatchesReference: matches)
                    })
            }
        }
    }

    struct Case: Sendable {
        let name: String
        let shape: [Int]
        let blocksize: Int
        let variants: [Variant]
    }

    struct Variant: Sendable {
        let key: String
        let type: String
        let doubleQuantization: Bool
        let cpuKernelMatchesReference: Bool
    }
}

enum FixtureError: Error {
    case missing(String)
    case malformed(String)
}

/// f32 bit patterns, so that equality is bit-for-bit (and -0 differs from +0).
func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

/// Index and values of the first differing element, for a readable failure.
func firstDifference<T: Equatable>(_ a: [T], _ b: [T]) -> String? {
    guard a.count == b.count else { return "count \(a.count) vs \(b.count)" }
    for i in a.indices where a[i] != b[i] { return "index \(i): \(a[i]) vs \(b[i])" }
    return nil
}
