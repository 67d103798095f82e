/// A byte-keyed trie for common-prefix search over UTF-8 (the Unigram lattice builder's inner
/// loop: no strings are created while searching).
struct ByteTrie: Sendable {
    /// children[node] maps a byte to the child node index.
    private var children: [[UInt8: Int32]] = [[:]]
    private var values: [Int32] = [-1]

    mutating func insert(_ key: [UInt8], value: Int32) {
        var node = 0
        for b in key {
            if let next = children[node][b] {
                node = Int(next)
            } else {
                children.append([:])
                values.append(-1)
                let next = Int32(children.count - 1)
                children[node][b] = next
                node = Int(next)
            }
        }
        if values[node] < 0 { values[node] = value }
    }

    /// Calls `body(end, value)` for every key that is a prefix of `bytes[start...]`, shortest first.
    func forEachPrefix(of bytes: UnsafeBufferPointer<UInt8>, from start: Int, _ body: (Int, Int32) -> Void) {
        var node = 0
        var i = start
        while i < bytes.count {
            guard let next = children[node][bytes[i]] else { return }
            node = Int(next)
            i += 1
            let v = values[node]
            if v >= 0 { body(i, v) }
        }
    }
}
