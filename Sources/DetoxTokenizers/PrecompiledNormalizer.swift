import Foundation

/// SentencePiece's precompiled charsmap normalizer, with Hugging Face's semantics
/// (tokenizers `normalizers/precompiled.rs`): for each extended grapheme cluster shorter than 6
/// UTF-8 bytes whose bytes start with a key, the *whole cluster* becomes the replacement of the
/// shortest matching key; otherwise each scalar of the cluster is looked up on its own.
/// (SentencePiece itself takes the longest match; HF's behaviour is reproduced because ids must
/// match HF.)
struct PrecompiledNormalizer: Normalizer {
    let map: PrecompiledCharsMap?

    init(map: PrecompiledCharsMap?) {
        self.map = map
    }

    init(_ node: JSONNode) throws {
        guard let blobNode = node["precompiled_charsmap"] else {
            map = nil
            return
        }
        let encoded = try blobNode.string()
        if encoded.isEmpty {
            map = nil
            return
        }
        guard let data = Data(base64Encoded: encoded) else {
            throw blobNode.mismatch("base64 data")
        }
        map = try PrecompiledCharsMap(blob: [UInt8](data), file: node.file, path: blobNode.path)
    }

    func normalize(_ text: inout NormalizedText) {
        guard let map else { return }
        var changes: [(Unicode.Scalar, Int)] = []
        changes.reserveCapacity(text.count)
        var modified = false
        var scratch: [UInt8] = []
        for cluster in text.string {
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: cluster.utf8)
            let scalars = cluster.unicodeScalars
            if scratch.count < 6, let replacement = map.firstPrefixReplacement(scratch) {
                modified = true
                NormalizedText.appendReplacement(&changes, oldCount: scalars.count, new: replacement)
                continue
            }
            for s in scalars {
                scratch.removeAll(keepingCapacity: true)
                UTF8.encode(s) { scratch.append($0) }
                if let replacement = map.firstPrefixReplacement(scratch) {
                    modified = true
                    NormalizedText.appendReplacement(&changes, oldCount: 1, new: replacement)
                } else {
                    changes.append((s, 0))
                }
            }
        }
        if modified { text.transform(changes) }
    }
}
