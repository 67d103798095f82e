import Foundation

/// SentencePiece's precompiled normalization map: a Darts-clone double-array trie over UTF-8 keys
/// whose values index a blob of NUL-terminated replacement strings.
///
/// Layout (sentencepiece `normalizer.cc`, huggingface `spm_precompiled`): `u32 LE trie_size`,
/// `trie_size` bytes of `u32 LE` units, then the replacement blob.
struct PrecompiledCharsMap: Sendable {
    private let units: [UInt32]
    private let normalized: [UInt8]

    /// Parses the blob; `file`/`path` name where it came from for errors.
    init(blob: [UInt8], file: String, path: String) throws {
        guard blob.count >= 4 else {
            throw TokenizerError.malformed(
                file: file, path: path, expected: "a precompiled charsmap of at least 4 bytes",
                actual: "\(blob.count) bytes")
        }
        let trieSize = Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24
        guard trieSize % 4 == 0, trieSize >= 4, 4 + trieSize <= blob.count else {
            throw TokenizerError.malformed(
                file: file, path: path, expected: "a trie size that fits the \(blob.count)-byte charsmap",
                actual: "\(trieSize)")
        }
        var units: [UInt32] = []
        units.reserveCapacity(trieSize / 4)
        var i = 4
        while i < 4 + trieSize {
            units.append(
                UInt32(blob[i]) | UInt32(blob[i + 1]) << 8 | UInt32(blob[i + 2]) << 16 | UInt32(blob[i + 3]) << 24)
            i += 4
        }
        self.units = units
        normalized = Array(blob[(4 + trieSize)...])
    }

    // MARK: - Darts-clone units

    @inline(__always) private static func hasLeaf(_ u: UInt32) -> Bool { (u >> 8) & 1 == 1 }
    @inline(__always) private static func value(_ u: UInt32) -> UInt32 { u & 0x7FFF_FFFF }
    @inline(__always) private static func label(_ u: UInt32) -> UInt32 { u & (0x8000_0000 | 0xFF) }
    @inline(__always) private static func offset(_ u: UInt32) -> Int {
        Int((u >> 10) << ((u & (1 << 9)) >> 6))
    }

    /// The replacement of the shortest key that is a prefix of `key` (HF takes `results[0]`).
    func firstPrefixReplacement(_ key: [UInt8]) -> [Unicode.Scalar]? {
        guard let first = units.first else { return nil }
        var pos = Self.offset(first)
        for c in key {
            if c == 0 { break }
            pos ^= Int(c)
            guard pos >= 0, pos < units.count else { return nil }
            let u = units[pos]
            if Self.label(u) != UInt32(c) { return nil }
            pos ^= Self.offset(u)
            if Self.hasLeaf(u) {
                guard pos >= 0, pos < units.count else { return nil }
                return replacement(at: Int(Self.value(units[pos])))
            }
        }
        return nil
    }

    private func replacement(at start: Int) -> [Unicode.Scalar]? {
        guard start >= 0, start <= normalized.count else { return nil }
        var end = start
        while end < normalized.count, normalized[end] != 0 { end += 1 }
        return Array(String(decoding: normalized[start..<end], as: UTF8.self).unicodeScalars)
    }
}
