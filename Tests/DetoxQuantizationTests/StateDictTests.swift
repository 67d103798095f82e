import DetoxCheckpoints
import DetoxQuantization
import DetoxTensor
import Foundation
import Testing

// MARK: - bitsandbytes state dicts

@Suite("bitsandbytes state-dict form")
struct StateDictTests {
    /// Every entry of `Fixtures/linear4bit_state_dict.safetensors` (`Linear4bit(128, 48,
    /// quant_type="nf4", compress_statistics=True).state_dict()`), U8 as bytes and F32 as floats.
    static func fixtureEntries() throws -> [String: BitsandbytesTensor] {
        let file = try SafeTensorsFile(url: try QuantizationFixtures.url("linear4bit_state_dict", "safetensors"))
        var entries: [String: BitsandbytesTensor] = [:]
        for info in file.infos {
            switch info.dtype {
            case .u8: entries[info.name] = .uint8(try file.withRawBytes(of: info.name) { Array($0) }, shape: info.shape)
            case .f32: entries[info.name] = .float32(try file.tensor(info.name).values, shape: info.shape)
            default: throw FixtureError.malformed("\(info.name) has dtype \(info.dtype)")
            }
        }
        return entries
    }

    @Test("the state dict of an NF4 double-quantized layer equals bitsandbytes' entry for entry")
    func writesBitsandbytesEntries() throws {
        let fixtures = try QuantizationFixtures.load()
        let layer = try Linear4Bit(
            weight: try fixtures.tensor("linear48x128.input"), bias: try fixtures.tensor("linear.bias"), type: .nf4)
        let ours = layer.bitsandbytesStateDict()
        let expected = try Self.fixtureEntries()
        #expect(ours.keys.sorted() == expected.keys.sorted())
        try #require(!expected.isEmpty, "the fixture has no expected values")
        for (key, value) in expected {
            #expect(ours[key] == value, "\(key)")
        }
        let json = String(decoding: layer.weight.quantStateJSON().utf8, as: UTF8.self)
        #expect(
            json.hasPrefix("{\"quant_type\": \"nf4\", \"blocksize\": 64, \"dtype\": \"float32\", \"shape\": [48, 128]"))
    }

    @Test("a layer read from bitsandbytes' state dict equals one quantized here")
    func readsBitsandbytesEntries() throws {
        let fixtures = try QuantizationFixtures.load()
        let loaded = try Linear4Bit(bitsandbytesStateDict: try Self.fixtureEntries())
        let quantized = try QuantizedTensor4Bit.quantize(
            try fixtures.tensor("linear48x128.input"), type: .nf4, doubleQuantization: true)
        #expect(loaded.weight == quantized)
        #expect(loaded.bias?.tensor.values == (try fixtures.tensor("linear.bias")).values)
        #expect(loaded.trainableParameters().isEmpty)
        // Plain (f32 absmax) FP4 round-trips through its own state dict.
        let fp4 = try QuantizedTensor4Bit.quantize(try fixtures.tensor("odd7x9.input").reshaped([7, 9]), type: .fp4)
        #expect(
            try QuantizedTensor4Bit(bitsandbytesStateDict: fp4.bitsandbytesStateDict(prefix: "w"), prefix: "w") == fp4)
    }

    @Test("missing or mistyped entries are typed errors")
    func malformedEntries() throws {
        var entries = try Self.fixtureEntries()
        entries["weight.absmax"] = .float32([Float](repeating: 0, count: 96), shape: [96])
        #expect(throws: QuantizationError.invalidStateDict(key: "weight.absmax", reason: "expected uint8, found F32")) {
            try QuantizedTensor4Bit(bitsandbytesStateDict: entries)
        }
        entries.removeValue(forKey: "weight.quant_state.bitsandbytes__nf4")
        #expect(
            throws: QuantizationError.invalidStateDict(
                key: "weight.quant_state.bitsandbytes__<nf4|fp4>",
                reason: "expected exactly one packed quant_state entry, found 0")
        ) {
            try QuantizedTensor4Bit(bitsandbytesStateDict: entries)
        }
    }
}
