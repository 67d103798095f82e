import Foundation

/// SentencePiece's precompiled charsmap normalizer, with Hugging Face's semantics
/// (tokenizers `normalizers/precompiled.rs`): for each extended grapheme cluster shorter than 6
/// UTF-8 bytes whose bytes start with a key, the *whole cluster* becomes the replacement of the
/// shortest matching key; otherwise each scalar of the cluster is looked up on its own.
/// (SentencePiece itself takes the longest match; HF's behaviour is reproduced because ids must
/// match HF.)
struct PrecompiledNormalizer: Normalizer {
    let map: PrecompiledCharsMap?
    /// The replacement of each ASCII scalar that is a cluster on its own.
    private let asciiReplacements: [[Unicode.Scalar]?]

    init(map: PrecompiledCharsMap?) {
        self.map = map
        asciiReplacements = (0..<128).map { map?.firstPrefixReplacement([UInt8($0)]) }
    }

    init(_ node: JSONNode) throws {
        guard let blobNode = node["precompiled_charsmap"] else {
            self.init(map: nil)
            return
        }
        let encoded = try blobNode.string()
        if encoded.isEmpty {
            self.init(map: nil)
            return
        }
        guard let data = Data(base64Encoded: encoded) else {
            throw blobNode.mismatch("base64 data")
        }
        self.init(map: try PrecompiledCharsMap(blob: [UInt8](data), file: node.file, path: blobNode.path))
    }

    /// Whether `t[i]` is an extended grapheme cluster by itself because it and its neighbours are
    /// ASCII (a non-ASCII neighbour may be a prepended or extending scalar) and no CR LF pair
    /// forms around it.
    private static func isLoneASCII(_ t: [Unicode.Scalar], _ i: Int) -> Bool {
        let s = t[i]
        guard s.isASCII else { return false }
        if i > 0, !t[i - 1].isASCII || (t[i - 1] == "\r" && s == "\n") { return false }
        if i + 1 < t.count, !t[i + 1].isASCII || (s == "\r" && t[i + 1] == "\n") { return false }
        return true
    }

    func normalize(_ text: inout NormalizedText) {
        guard let map else { return }
        var changes: [(Unicode.Scalar, Int)] = []
        changes.reserveCapacity(text.count)
        var modified = false
        var scratch: [UInt8] = []
        func appendCluster(_ cluster: Character) {
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: cluster.utf8)
            let scalars = cluster.unicodeScalars
            if scratch.count < 6, let replacement = map.firstPrefixReplacement(scratch) {
                modified = true
                NormalizedText.appendReplacement(&changes, oldCount: scalars.count, new: replacement)
                return
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
        // Lone ASCII scalars from the table; the runs between them cluster by cluster (their ends
        // are cluster boundaries, so they cluster as they do in the whole text).
        let t = text.scalars
        var i = 0
        while i < t.count {
            if Self.isLoneASCII(t, i) {
                if let replacement = asciiReplacements[Int(t[i].value)] {
                    modified = true
                    NormalizedText.appendReplacement(&changes, oldCount: 1, new: replacement)
                } else {
                    changes.append((t[i], 0))
                }
                i += 1
                continue
            }
            var j = i + 1
            while j < t.count, !Self.isLoneASCII(t, j) { j += 1 }
            for cluster in String(String.UnicodeScalarView(t[i..<j])) { appendCluster(cluster) }
            i = j
        }
        if modified { text.transform(changes) }
    }
}
