import DetoxModels
import Foundation
import FuzzSupport

/// libFuzzer entry: the input is a `config.json`, decoded as every family reads it (T5, GPT-2,
/// GPT-Neo, Llama, Qwen2, and the BERT / RoBERTa / ELECTRA classifiers), and by the loader that
/// picks a family from a model folder.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = FuzzInput.bytes(start, count)
    let url = FuzzInput.file("config.json", bytes)
    _ = try? T5Configuration.load(from: url)
    _ = try? GPT2Configuration.load(from: url)
    _ = try? GPTNeoConfiguration.load(from: url)
    _ = try? LlamaConfiguration.load(from: url)
    _ = try? Qwen2Configuration.load(from: url)
    if let bert = try? BertConfiguration(jsonData: Data(bytes)) {
        _ = bert.labels
    }
    _ = try? LanguageModelLoader.load(folder: FuzzInput.folder)
    return 0
}
