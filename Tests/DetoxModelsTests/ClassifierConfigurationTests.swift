import DetoxModels
import Foundation
import Testing

/// `config.json` decoding: transformers' defaults, labels, and typed errors for bad values.
@Suite("Classifier configuration")
struct ClassifierConfigurationTests {
    func decode(_ json: String, file: String = "test/config.json") throws -> BertConfiguration {
        try BertConfiguration(jsonData: Data(json.utf8), file: file)
    }

    @Test("a minimal ELECTRA config gets ElectraConfig's defaults")
    func electraDefaults() throws {
        let c = try decode(#"{"model_type": "electra"}"#)
        #expect(c.family == .electra)
        #expect(c.vocabularySize == 30522)
        #expect(c.embeddingSize == 128)
        #expect(c.hiddenSize == 256)
        #expect(c.hiddenLayers == 12)
        #expect(c.attentionHeads == 4)
        #expect(c.intermediateSize == 1024)
        #expect(c.hiddenActivation == "gelu")
        #expect(c.hiddenDropout == 0.1 && c.attentionDropout == 0.1)
        #expect(c.classifierDropout == nil && c.effectiveClassifierDropout == 0.1)
        #expect(c.maxPositionEmbeddings == 512)
        #expect(c.typeVocabularySize == 2)
        #expect(c.layerNormEpsilon == 1e-12)
        #expect(c.padTokenID == 0)
        #expect(c.positionEmbeddingType == "absolute")
        #expect(c.numLabels == 2)
        #expect(c.labels == ["LABEL_0", "LABEL_1"])
        #expect(c.label2id == ["LABEL_0": 0, "LABEL_1": 1])
        #expect(c.problemType == nil)
    }

    @Test("a minimal RoBERTa config gets RobertaConfig's defaults")
    func robertaDefaults() throws {
        let c = try decode(#"{"model_type": "roberta"}"#)
        #expect(c.family == .roberta)
        #expect(c.vocabularySize == 50265)
        #expect(c.hiddenSize == 768 && c.embeddingSize == 768)
        #expect(c.hiddenLayers == 12 && c.attentionHeads == 12 && c.intermediateSize == 3072)
        #expect(c.padTokenID == 1 && c.bosTokenID == 0 && c.eosTokenID == 2)
        #expect(c.typeVocabularySize == 2)
        #expect(c.layerNormEpsilon == 1e-12)
    }

    @Test("a minimal BERT config gets BertConfig's defaults; embedding_size is ignored outside ELECTRA")
    func bertDefaults() throws {
        let c = try decode(
            #"{"model_type": "bert", "hidden_size": 64, "num_attention_heads": 4, "embedding_size": 16}"#)
        #expect(c.family == .bert)
        #expect(c.vocabularySize == 30522)
        #expect(c.hiddenSize == 64 && c.embeddingSize == 64)
        #expect(c.padTokenID == 0 && c.bosTokenID == nil)
        #expect(c.intermediateSize == 3072)
    }

    @Test("the DaNLP-style config decodes its labels (string keys in JSON)")
    func labelsFromJSON() throws {
        let c = try decode(
            #"""
            {"model_type": "electra", "embedding_size": 128, "hidden_size": 256, "pad_token_id": 0,
             "id2label": {"0": "not offensive", "1": "offensive"},
             "label2id": {"not offensive": 0, "offensive": 1}, "classifier_dropout": null}
            """#)
        #expect(c.id2label == [0: "not offensive", 1: "offensive"])
        #expect(c.labels == ["not offensive", "offensive"])
        #expect(c.label2id == ["not offensive": 0, "offensive": 1])
    }

    @Test("id2label without label2id (the dynabench config) gets the inverse map")
    func label2idDerived() throws {
        let c = try decode(
            #"{"model_type": "roberta", "id2label": {"1": "hate", "0": "nothate"}, "problem_type": "single_label_classification"}"#
        )
        #expect(c.labels == ["nothate", "hate"])
        #expect(c.label2id == ["nothate": 0, "hate": 1])
        #expect(c.problemType == "single_label_classification")
    }

    @Test("a label2id left with names id2label no longer uses still loads")
    func staleLabel2id() throws {
        let c = try decode(
            #"{"model_type": "bert", "id2label": {"0": "neg", "1": "pos"}, "label2id": {"LABEL_0": 0, "LABEL_1": 1}}"#)
        #expect(c.labels == ["neg", "pos"])
    }

    @Test("num_labels without id2label names LABEL_i; id2label wins over num_labels")
    func numLabels() throws {
        #expect(try decode(#"{"model_type": "bert", "num_labels": 3}"#).labels == ["LABEL_0", "LABEL_1", "LABEL_2"])
        #expect(
            try decode(#"{"model_type": "bert", "num_labels": 5, "id2label": {"0": "a", "1": "b"}}"#).numLabels == 2)
    }

    @Test("an explicit null pad_token_id clears it for BERT and is an error for RoBERTa")
    func nullPad() throws {
        #expect(try decode(#"{"model_type": "bert", "pad_token_id": null}"#).padTokenID == nil)
        #expect(
            throws: ModelError.invalidConfiguration(
                file: "test/config.json", key: "pad_token_id",
                reason: "RoBERTa needs a pad token id (its position ids start after it)")
        ) {
            try decode(#"{"model_type": "roberta", "pad_token_id": null}"#)
        }
    }

    @Test("an unsupported model_type is a typed error naming it")
    func unsupportedModelType() {
        #expect(
            throws: ModelError.unsupportedModelType(
                file: "test/config.json", modelType: "gpt2", supported: ["bert", "electra", "roberta"])
        ) {
            try decode(#"{"model_type": "gpt2"}"#)
        }
    }

    @Test(
        "invalid values are typed errors naming the key",
        arguments: [
            (#"{"model_type": "bert", "position_embedding_type": "relative_key"}"#, "position_embedding_type"),
            (#"{"model_type": "bert", "hidden_size": 30, "num_attention_heads": 4}"#, "hidden_size"),
            (#"{"model_type": "bert", "hidden_act": "mish"}"#, "hidden_act"),
            (#"{"model_type": "bert", "id2label": {"zero": "a"}}"#, "id2label"),
            (#"{"model_type": "bert", "id2label": {"0": "a", "2": "b"}}"#, "id2label"),
            (#"{"model_type": "bert", "id2label": {"0": "toxic", "1": "toxic"}}"#, "id2label"),
            (#"{"model_type": "bert", "id2label": {"0": "a", "1": "b"}, "label2id": {"a": 1, "b": 0}}"#, "label2id"),
            (#"{"model_type": "bert", "id2label": {"0": "a", "1": "b"}, "label2id": {"a": 0, "b": 7}}"#, "label2id"),
            (#"{"model_type": "bert", "problem_type": "ranking"}"#, "problem_type"),
            (#"{"model_type": "bert", "hidden_dropout_prob": 1.5}"#, "hidden_dropout_prob"),
            (#"{"model_type": "bert", "num_hidden_layers": 0}"#, "num_hidden_layers"),
            (#"{"model_type": "bert", "vocab_size": "many"}"#, "vocab_size"),
            (#"{"model_type": "bert", "pad_token_id": 40000}"#, "pad_token_id"),
            (#"{"model_type": "bert", "is_decoder": true}"#, "is_decoder"),
            (#"{"model_type": "roberta", "max_position_embeddings": 2}"#, "max_position_embeddings"),
        ])
    func invalidValues(json: String, key: String) {
        do {
            _ = try decode(json)
            Issue.record("\(json) decoded without error")
        } catch let ModelError.invalidConfiguration(file, badKey, _) {
            #expect(file == "test/config.json")
            #expect(badKey == key)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("encoding writes the JSON names and decodes back to the same configuration")
    func roundTrip() throws {
        let data = try Data(contentsOf: try ClassifierFixtures.folder("electra").appendingPathComponent("config.json"))
        let original = try BertConfiguration(jsonData: data)
        let encoded = try JSONEncoder().encode(original)
        let object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(object["model_type"] as? String == "electra")
        #expect(object["embedding_size"] as? Int == 16)
        #expect((object["id2label"] as? [String: String])?["1"] == "offensive")
        #expect(try BertConfiguration(jsonData: encoded) == original)
    }
}
