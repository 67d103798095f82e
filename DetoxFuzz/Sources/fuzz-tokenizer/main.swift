import DetoxTokenizers
import Foundation
import FuzzSupport

/// libFuzzer entry: a `tokenizer.json`, then optionally a NUL byte and a text to encode. A
/// tokenizer that loads encodes the text (or a fixed sample), a pair, a truncated batch, and
/// decodes the ids back.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizer(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let (json, tail) = FuzzInput.split(FuzzInput.bytes(start, count))
    guard let tokenizer = try? Tokenizer(tokenizerJSONData: Data(json)) else { return 0 }
    let text =
        tail.isEmpty
        ? "Hello world! Ünïcödé  text\twith 123 numbers, émojis 🙂 and <s> specials"
        : String(decoding: tail, as: UTF8.self)
    let single = tokenizer.encode(text)
    _ = tokenizer.decode(single.ids)
    _ = tokenizer.decode(single.ids, skipSpecialTokens: true, cleanUpTokenizationSpaces: true)
    let pair = tokenizer.encode(text, pair: String(text.reversed()))
    _ = tokenizer.decode(pair.ids, skipSpecialTokens: true)
    _ = tokenizer.encode(text, pair: nil, addSpecialTokens: true, truncation: Truncation(maxLength: 4))
    return 0
}
