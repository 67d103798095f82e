import Foundation

/// Turns runs of `<0xXX>` tokens back into UTF-8 text; an invalid run becomes one U+FFFD per byte
/// (tokenizers `decoders/byte_fallback.rs`).
struct ByteFallbackDecoder: TokenDecoder {
    static func byte(_ token: String) -> UInt8? {
        let s = Array(token.utf8)
        guard s.count == 6, s[0] == UInt8(ascii: "<"), s[1] == UInt8(ascii: "0"), s[2] == UInt8(ascii: "x"),
            s[5] == UInt8(ascii: ">")
        else { return nil }
        return UInt8(String(decoding: s[3..<5], as: UTF8.self), radix: 16)
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if let text = String(bytes: pending, encoding: .utf8) {
                out.append(text)
            } else {
                out.append(String(repeating: "\u{FFFD}", count: pending.count))
            }
            pending.removeAll()
        }
        for token in tokens {
            if let b = Self.byte(token) {
                pending.append(b)
            } else {
                flush()
                out.append(token)
            }
        }
        flush()
        return out
    }
}
