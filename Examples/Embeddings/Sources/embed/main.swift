// Prints the sentence embedding of a text under an encoder in a Hugging Face model folder
// (`config.json` naming `BertModel`, `ElectraModel` or `RobertaModel`, its weights and its
// `tokenizer.json`), as sentence-transformers computes it: mean-pooled, L2-normalized.
import DetoxModels
import DetoxTensor
import DetoxTokenizers
import Foundation

/// Tokenizes `text` with the folder's tokenizer and runs the folder's encoder on it.
func embed(text: String, folder: URL) throws -> (tokens: [String], embedding: Tensor) {
    let tokenizer = try Tokenizer.load(from: folder)
    let encoder = try TextEncoder.load(folder: folder)
    // A text longer than the model's position table is cut, as transformers' tokenizers cut it at
    // `model_max_length`; RoBERTa's positions start after its padding index, so it has fewer.
    let configuration = encoder.configuration
    let offset = configuration.family == .roberta ? (configuration.padTokenID ?? 1) + 1 : 0
    let encoding = tokenizer.encode(
        text, pair: nil, truncation: Truncation(maxLength: configuration.maxPositionEmbeddings - offset))
    let batch = try ClassifierBatch(
        inputIDs: [encoding.ids], attentionMask: [encoding.attentionMask], tokenTypeIDs: [encoding.typeIDs])
    return (encoding.tokens, try encoder.embeddings(batch, normalize: true))
}

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count == 2, let folder = arguments.first, let text = arguments.last else {
    FileHandle.standardError.write(Data("usage: embed <model-folder> <text>\n".utf8))
    exit(2)
}
do {
    let (tokens, embedding) = try embed(text: text, folder: URL(fileURLWithPath: folder, isDirectory: true))
    let values = embedding.values
    let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
    print("tokens: \(tokens.joined(separator: " "))")
    print("embedding: \(embedding.shape[1]) dimensions, L2 norm \(String(format: "%.4f", norm))")
    print("first values: \(values.prefix(8).map { String(format: "%.4f", $0) }.joined(separator: " "))")
} catch {
    FileHandle.standardError.write(Data("embed: \(error)\n".utf8))
    exit(1)
}
