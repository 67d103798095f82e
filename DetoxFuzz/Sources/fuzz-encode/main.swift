import DetoxTokenizers
import Foundation
import FuzzSupport

/// The tokenizers of the `tokenizer` seed corpus (`DetoxFuzz/corpus/tokenizer/`, read from the
/// repository root, where `Scripts/fuzz.sh` runs): WordPiece, byte-level BPE, Unigram, byte fallback.
let tokenizers: [Tokenizer] = {
    let folder = URL(fileURLWithPath: "DetoxFuzz/corpus/tokenizer")
    let files = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
    let loaded = files.sorted { $0.path < $1.path }.compactMap { try? Tokenizer(tokenizerJSON: $0) }
    if loaded.isEmpty {
        FileHandle.standardError.write(Data("fuzz-encode: no tokenizer in \(folder.path); run from the root\n".utf8))
        exit(2)
    }
    return loaded
}()

/// libFuzzer entry: the input is text (any bytes, decoded as UTF-8 with repairs), encoded by each
/// seed tokenizer alone, as a pair with itself, truncated, and decoded back.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEncode(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let text = String(decoding: FuzzInput.bytes(start, count), as: UTF8.self)
    for tokenizer in tokenizers {
        let single = tokenizer.encode(text)
        _ = tokenizer.decode(single.ids)
        _ = tokenizer.decode(single.ids, skipSpecialTokens: true, cleanUpTokenizationSpaces: true)
        _ = tokenizer.encode(text, pair: text, addSpecialTokens: true, truncation: Truncation(maxLength: 7))
    }
    return 0
}
