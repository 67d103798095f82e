import DetoxCheckpoints
import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTestSupport
import Foundation
import Testing

/// Parity with transformers' `GPTNeoForCausalLM` on the fixture model (global and local layers,
/// window 4, prompts up to 10 tokens). Tolerances: logits at real positions 1e-4, loss 1e-5.
@Suite struct GPTNeoParityTests {
    static let logitsTolerance: Float = 1e-4
    static let lossTolerance: Float = 1e-5

    @Test func logitsAndLossMatch() throws {
        let model = try GPTNeoForCausalLM.load(folder: CausalFixtures.folder("gpt-neo-tiny"))
        #expect(model.configuration.attentionLayers == [.global, .local])
        #expect(model.configuration.windowSize == 4)
        let reference = try CausalFixtures.reference("gpt-neo-tiny")
        try #require(reference.prompts.map(\.count).max() ?? 0 > model.configuration.windowSize)
        try CausalFixtures.expectParity(
            model, reference: reference, logitsTolerance: Self.logitsTolerance, lossTolerance: Self.lossTolerance)
    }

    @Test("the state dict is the checkpoint's")
    func stateDictRoundTrips() throws {
        let folder = try CausalFixtures.folder("gpt-neo-tiny")
        let model = try GPTNeoForCausalLM.load(folder: folder)
        let (tensors, _) = try ModelFolder(folder).weights()
        let state = model.stateDict()
        // transformers keeps the causal-mask buffers out of the file too; every stored key is ours.
        #expect(state.keys.sorted() == tensors.keys.sorted())
        for (key, value) in tensors {
            #expect(state[key]?.values == value.values, "\(key) differs")
        }
    }

    @Test("attention_types must expand to num_layers, named in the error")
    func attentionTypesChecked() throws {
        let json =
            #"{"num_layers": 3, "hidden_size": 8, "num_heads": 2, "attention_types": [[["global", "local"], 1]]}"#
        let configuration = try JSONDecoder().decode(GPTNeoConfiguration.self, from: Data(json.utf8))
        #expect(configuration.attentionLayers == [.global, .local])
        do {
            try configuration.validate(file: "c.json")
            Issue.record("validate accepted 2 attention layers for 3 layers")
        } catch ModelError.invalidConfiguration(let file, let key, _) {
            #expect(file == "c.json" && key == "attention_types")
        }
        let bad = #"{"attention_types": [[["global", "sparse"], 12]]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(GPTNeoConfiguration.self, from: Data(bad.utf8)) }
    }
}
