// Port of rouge-score 0.1.2 `rouge_score/rouge_scorer.py` (`_lcs_table`, `_backtrack_norec`,
// `_union_lcs`, `_find_union`).

/// Longest-common-subsequence helpers on interned token ids, with one flat `Int` table.
enum RougeLCS {
    /// Length of the LCS of `a` and `b`, with two rolling rows of the DP table.
    static func length(_ a: [Int], _ b: [Int]) -> Int {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        let cols = b.count
        var previous = [Int](repeating: 0, count: cols + 1)
        var current = [Int](repeating: 0, count: cols + 1)
        for i in 0..<a.count {
            let ai = a[i]
            for j in 1...cols {
                if ai == b[j - 1] {
                    current[j] = previous[j - 1] + 1
                } else {
                    current[j] = max(previous[j], current[j - 1])
                }
            }
            swap(&previous, &current)
        }
        return previous[cols]
    }

    /// Fills `table` (row-major, `(ref.count + 1) × (can.count + 1)`) as rouge-score `_lcs_table`.
    static func fill(_ table: inout [Int], ref: [Int], can: [Int]) {
        let width = can.count + 1
        let size = (ref.count + 1) * width
        if table.count < size { table = [Int](repeating: 0, count: size) }
        for j in 0..<width { table[j] = 0 }
        guard !ref.isEmpty else { return }
        for i in 1...ref.count {
            let row = i * width
            let above = row - width
            table[row] = 0
            guard width > 1 else { continue }
            let r = ref[i - 1]
            for j in 1..<width {
                if r == can[j - 1] {
                    table[row + j] = table[above + j - 1] + 1
                } else {
                    table[row + j] = max(table[above + j], table[row + j - 1])
                }
            }
        }
    }

    /// Marks in `mask` the indices of `ref` on the LCS that rouge-score `_backtrack_norec` reads out
    /// of a table filled by ``fill(_:ref:can:)`` (on a tie it steps up, `i -= 1`).
    static func markBacktrack(_ table: [Int], ref: [Int], can: [Int], mask: inout [Bool]) {
        let width = can.count + 1
        var i = ref.count
        var j = can.count
        while i > 0 && j > 0 {
            if ref[i - 1] == can[j - 1] {
                mask[i - 1] = true
                i -= 1
                j -= 1
            } else if table[i * width + j - 1] > table[(i - 1) * width + j] {
                j -= 1
            } else {
                i -= 1
            }
        }
    }
}
