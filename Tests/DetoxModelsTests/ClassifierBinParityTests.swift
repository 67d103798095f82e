import DetoxModels
import DetoxTestFiles
import DetoxTestSupport
import Foundation
import Testing

/// The `.bin` copies of the fixture classifiers (as the DaNLP reward model ships) give the same
/// logits as transformers, within the same 1e-4 as the safetensors copies.
@Suite struct ClassifierBinParityTests {
    @Test(arguments: ["electra", "roberta", "bert"])
    func binCheckpointGivesReferenceLogits(_ name: String) throws {
        let source = try ClassifierFixtures.folder(name)
        let folder = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in ["config.json", "pytorch_model.bin"] {
            try FileManager.default.copyItem(
                at: source.appendingPathComponent(file), to: folder.appendingPathComponent(file))
        }
        let expected = try ClassifierFixtures.expected(name)
        let model = try SequenceClassifierModel.load(folder: folder)
        let logits = try model.classify(try expected.batch()).logits.values
        #expect(try TestSupport.maxAbsDifference(logits, expected.logits.flatMap { $0 }) <= 1e-4)
    }
}
