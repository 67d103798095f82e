import Foundation

/// A half-open range of positions, used for alignments and offsets.
struct Span: Equatable, Sendable {
    var start: Int
    var end: Int
}

/// How a split keeps the delimiters it found (tokenizers' `SplitDelimiterBehavior`).
enum SplitBehavior: String, Sendable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"
}

/// A piece of text under normalization, as Unicode scalars, where every scalar remembers the range
/// of the original input it came from.
///
/// This mirrors tokenizers' `NormalizedString`, but counts in Unicode scalars rather than UTF-8
/// bytes: alignments are always whole characters there, so the two are equivalent, and scalar
/// indices are exactly the Python `str` indices that `return_offsets_mapping` reports.
/// Alignments are absolute positions in the original input (no per-slice shift).
struct NormalizedText {
    var scalars: [Unicode.Scalar]
    var alignments: [Span]
    /// Where this piece starts in the original input (tokenizers' `offsets_original().0`).
    var originalStart: Int

    // MARK: - Creation

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
        alignments = (0..<scalars.count).map { Span(start: $0, end: $0 + 1) }
        originalStart = 0
    }

    init(scalars: [Unicode.Scalar], alignments: [Span], originalStart: Int) {
        self.scalars = scalars
        self.alignments = alignments
        self.originalStart = originalStart
    }

    var isEmpty: Bool { scalars.isEmpty }
    var count: Int { scalars.count }
    var string: String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars)
        return String(s)
    }

    // MARK: - Offsets

    /// The original range covered by normalized scalars `range` (tokenizers' `convert_offsets`
    /// from the normalized referential).
    func originalSpan(of range: Range<Int>) -> Span {
        if range.isEmpty {
            // tokenizers returns the (empty) target range itself here.
            return Span(start: originalStart, end: originalStart)
        }
        return Span(start: alignments[range.lowerBound].start, end: alignments[range.upperBound - 1].end)
    }

    func slice(_ range: Range<Int>) -> NormalizedText {
        let start = range.isEmpty ? originalStart : alignments[range.lowerBound].start
        return NormalizedText(
            scalars: Array(scalars[range]), alignments: Array(alignments[range]), originalStart: start)
    }

    // MARK: - Transformations

    /// Replaces the scalars in `range` by `replacement`, where each new scalar carries a change:
    /// `0` replaces one old scalar, `n > 0` is inserted (it shares the previous old scalar's
    /// alignment), `-n` replaces one old scalar and removes the `n` following ones.
    /// `initialOffset` old scalars at the start of the range are removed first.
    /// Same contract as tokenizers' `NormalizedString::transform_range`.
    mutating func transform(
        range: Range<Int>, _ replacement: [(Unicode.Scalar, Int)], initialOffset: Int = 0
    ) {
        var newScalars: [Unicode.Scalar] = []
        var newAlignments: [Span] = []
        newScalars.reserveCapacity(replacement.count)
        newAlignments.reserveCapacity(replacement.count)
        var offset = range.lowerBound + initialOffset
        let fallback = Span(start: originalStart, end: originalStart)
        for (scalar, change) in replacement {
            let align: Span
            if change > 0 {
                align = offset < 1 ? fallback : alignments[min(offset - 1, alignments.count - 1)]
            } else {
                align = offset < alignments.count ? alignments[offset] : (alignments.last ?? fallback)
                offset += 1
            }
            if change < 0 { offset += -change }
            newScalars.append(scalar)
            newAlignments.append(align)
        }
        scalars.replaceSubrange(range, with: newScalars)
        alignments.replaceSubrange(range, with: newAlignments)
    }

    /// `transform` over the whole text.
    mutating func transform(_ replacement: [(Unicode.Scalar, Int)], initialOffset: Int = 0) {
        transform(range: 0..<scalars.count, replacement, initialOffset: initialOffset)
    }

    /// Maps every scalar to one or more scalars: the first replaces it, the others are inserted
    /// after it (an empty mapping keeps the scalar).
    mutating func map(_ body: (Unicode.Scalar) -> [Unicode.Scalar]) {
        var changes: [(Unicode.Scalar, Int)] = []
        changes.reserveCapacity(scalars.count)
        for scalar in scalars {
            let out = body(scalar)
            if out.isEmpty {
                changes.append((scalar, 0))
                continue
            }
            for (i, s) in out.enumerated() { changes.append((s, i == 0 ? 0 : 1)) }
        }
        transform(changes)
    }

    /// Appends a replacement of `oldCount` scalars by `new` to a change list, the way tokenizers'
    /// Precompiled normalizer does: extra scalars are insertions, missing ones are charged as
    /// removals to the last entry already in the list.
    static func appendReplacement(
        _ changes: inout [(Unicode.Scalar, Int)], oldCount: Int, new: [Unicode.Scalar]
    ) {
        let diff = new.count - oldCount
        for s in new { changes.append((s, 0)) }
        if diff > 0 {
            for k in 0..<diff { changes[changes.count - 1 - k].1 = 1 }
        } else if diff < 0, !changes.isEmpty {
            changes[changes.count - 1].1 += diff
        }
    }

    /// Keeps only the scalars for which `keep` is true (tokenizers' `filter`).
    mutating func filter(_ keep: (Unicode.Scalar) -> Bool) {
        var changes: [(Unicode.Scalar, Int)] = []
        changes.reserveCapacity(scalars.count)
        var removed = 0
        var removedStart = 0
        var last: Unicode.Scalar? = nil
        for scalar in scalars {
            if keep(scalar) {
                if let l = last {
                    changes.append((l, -removed))
                } else {
                    removedStart = removed
                }
                last = scalar
                removed = 0
            } else {
                removed += 1
            }
        }
        if let l = last { changes.append((l, -removed)) }
        if last == nil { removedStart = scalars.count }
        transform(changes, initialOffset: removedStart)
    }

    /// Replaces every match of `pattern` by `content`; the new scalars share the alignment of the
    /// last matched scalar (tokenizers' `NormalizedString::replace`).
    mutating func replace(_ pattern: TextPattern, with content: [Unicode.Scalar]) {
        let matches = pattern.findMatches(in: scalars)
        guard matches.contains(where: { $0.isMatch }) else { return }
        var newScalars: [Unicode.Scalar] = []
        var newAlignments: [Span] = []
        newScalars.reserveCapacity(scalars.count)
        newAlignments.reserveCapacity(scalars.count)
        for m in matches {
            if m.isMatch {
                let align =
                    m.range.upperBound < 1
                    ? Span(start: originalStart, end: originalStart)
                    : alignments[m.range.upperBound - 1]
                for s in content {
                    newScalars.append(s)
                    newAlignments.append(align)
                }
            } else {
                newScalars.append(contentsOf: scalars[m.range])
                newAlignments.append(contentsOf: alignments[m.range])
            }
        }
        scalars = newScalars
        alignments = newAlignments
    }

    /// Puts `prefix` before the text; every new scalar shares the first scalar's alignment.
    mutating func prepend(_ prefix: [Unicode.Scalar]) {
        guard let first = scalars.first, !prefix.isEmpty else { return }
        var changes: [(Unicode.Scalar, Int)] = prefix.enumerated().map { ($1, $0 == 0 ? 0 : 1) }
        changes.append((first, 1))
        transform(range: 0..<1, changes)
    }

    /// Removes leading and/or trailing whitespace.
    mutating func strip(left: Bool, right: Bool) {
        var lo = 0
        var hi = scalars.count
        if left { while lo < hi, scalars[lo].isWhiteSpace { lo += 1 } }
        if right { while hi > lo, scalars[hi - 1].isWhiteSpace { hi -= 1 } }
        if lo == 0, hi == scalars.count { return }
        scalars = Array(scalars[lo..<hi])
        alignments = Array(alignments[lo..<hi])
    }

    // MARK: - Splitting

    /// Splits on `pattern` (tokenizers' `NormalizedString::split`); empty pieces are kept here and
    /// dropped by the caller, as tokenizers does.
    func split(_ pattern: TextPattern, behavior: SplitBehavior) -> [NormalizedText] {
        let matches = pattern.findMatches(in: scalars)
        var pieces: [(range: Range<Int>, remove: Bool)] = []
        switch behavior {
        case .isolated:
            pieces = matches.map { ($0.range, false) }
        case .removed:
            pieces = matches.map { ($0.range, $0.isMatch) }
        case .contiguous:
            var previous = false
            for m in matches {
                if m.isMatch == previous, let last = pieces.last {
                    pieces[pieces.count - 1].range = last.range.lowerBound..<m.range.upperBound
                } else {
                    pieces.append((m.range, false))
                }
                previous = m.isMatch
            }
        case .mergedWithPrevious:
            var previous = false
            for m in matches {
                if m.isMatch, !previous, let last = pieces.last {
                    pieces[pieces.count - 1].range = last.range.lowerBound..<m.range.upperBound
                } else {
                    pieces.append((m.range, false))
                }
                previous = m.isMatch
            }
        case .mergedWithNext:
            var previous = false
            for m in matches.reversed() {
                if m.isMatch, !previous, let last = pieces.last {
                    pieces[pieces.count - 1].range = m.range.lowerBound..<last.range.upperBound
                } else {
                    pieces.append((m.range, false))
                }
                previous = m.isMatch
            }
            pieces.reverse()
        }
        return pieces.filter { !$0.remove }.map { slice($0.range) }
    }
}
