// Port of nltk's `nltk/stem/porter.py` (`PorterStemmer`, mode `NLTK_EXTENSIONS`, nltk 3.x), the
// stemmer that rouge-score 0.1.2's `DefaultTokenizer(use_stemmer=True)` builds with
// `porter.PorterStemmer()`.

/// The Porter stemmer exactly as nltk's `PorterStemmer()` runs it in its default
/// `NLTK_EXTENSIONS` mode: Porter's 1980 algorithm with Martin Porter's later changes and nltk's
/// own ones (an irregular-forms table, `-ies`/`-ied` on four-letter words, `y → i` only after a
/// consonant, `-alli`, `-fulli`, `-logi`, two-letter `*o`).
///
/// Words are handled as sequences of Unicode scalars, as Python indexes `str`; only `a e i o u`
/// are vowels, so any other letter, ASCII or not, is a consonant (`y` by its position).
public struct PorterStemmer: Sendable {
    private typealias Word = [Unicode.Scalar]

    /// Creates the stemmer (nltk's `PorterStemmer(mode=NLTK_EXTENSIONS)`).
    public init() {}

    // MARK: - Public API

    /// Returns the stem of `word`, like nltk's `PorterStemmer().stem(word, to_lowercase:)`.
    ///
    /// - Parameters:
    ///   - word: the word to stem.
    ///   - toLowercase: lowercase the word first (nltk's default). Lowercasing maps every scalar by
    ///     its full Unicode lowercase mapping, as Python's `str.lower()` does, except that Python
    ///     also lowers a word-final capital sigma to `ς`; that only matters for Greek input.
    public func stem(_ word: String, toLowercase: Bool = true) -> String {
        let lowered = toLowercase ? Self.lowercased(word) : word
        if let irregular = Self.irregularForms[lowered] { return irregular }
        // nltk tests the length of the word as given, not of its lowercased form.
        if word.unicodeScalars.count <= 2 { return lowered }
        var w = Word(lowered.unicodeScalars)
        w = step1a(w)
        w = step1b(w)
        w = step1c(w)
        w = step2(w)
        w = step3(w)
        w = step4(w)
        w = step5a(w)
        w = step5b(w)
        var out = String.UnicodeScalarView()
        out.append(contentsOf: w)
        return String(out)
    }

    /// nltk's irregular forms (`NLTK_EXTENSIONS`), returned as they are without running the steps.
    public static let irregularForms: [String: String] = {
        let table: [(String, [String])] = [
            ("sky", ["sky", "skies"]),
            ("die", ["dying"]),
            ("lie", ["lying"]),
            ("tie", ["tying"]),
            ("news", ["news"]),
            ("inning", ["innings", "inning"]),
            ("outing", ["outings", "outing"]),
            ("canning", ["cannings", "canning"]),
            ("howe", ["howe"]),
            ("proceed", ["proceed"]),
            ("exceed", ["exceed"]),
            ("succeed", ["succeed"]),
        ]
        var pool: [String: String] = [:]
        for (key, forms) in table {
            for form in forms { pool[form] = key }
        }
        return pool
    }()

    // MARK: - Letters

    private static func lowercased(_ word: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in word.unicodeScalars {
            if scalar.isASCII {
                let v = scalar.value
                out.append((0x41...0x5A).contains(v) ? Unicode.Scalar(UInt8(v + 32)) : scalar)
            } else {
                out.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(out)
    }

    private static func isVowel(_ s: Unicode.Scalar) -> Bool {
        s == "a" || s == "e" || s == "i" || s == "o" || s == "u"
    }

    /// nltk `_is_consonant`: `y` is a consonant at the start or after a vowel.
    private static func isConsonant(_ word: ArraySlice<Unicode.Scalar>, _ index: Int) -> Bool {
        var i = index
        let c = word[i]
        if isVowel(c) { return false }
        if c == "y" {
            var negate = false
            while i > word.startIndex && word[i] == "y" {
                negate.toggle()
                i -= 1
            }
            return (!isVowel(word[i])) != negate
        }
        return true
    }

    /// nltk `_measure`: the number of vowel→consonant transitions, m in `[C](VC){m}[V]`.
    private static func measure(_ stem: ArraySlice<Unicode.Scalar>) -> Int {
        var m = 0
        var previousConsonant = true // value unused for the first letter
        var first = true
        for c in stem {
            let consonant: Bool
            if isVowel(c) {
                consonant = false
            } else if c == "y" {
                consonant = first ? true : !previousConsonant
            } else {
                consonant = true
            }
            if !first && !previousConsonant && consonant { m += 1 }
            previousConsonant = consonant
            first = false
        }
        return m
    }

    /// nltk `_contains_vowel`.
    private static func containsVowel(_ stem: ArraySlice<Unicode.Scalar>) -> Bool {
        for i in stem.indices where !isConsonant(stem, i) { return true }
        return false
    }

    /// nltk `_ends_double_consonant` (`*d`).
    private static func endsDoubleConsonant(_ word: ArraySlice<Unicode.Scalar>) -> Bool {
        let n = word.count
        guard n >= 2 else { return false }
        let last = word.index(before: word.endIndex)
        return word[last] == word[last - 1] && isConsonant(word, last)
    }

    /// nltk `_ends_cvc` (`*o`) with the `NLTK_EXTENSIONS` two-letter case.
    private static func endsCVC(_ word: ArraySlice<Unicode.Scalar>) -> Bool {
        let n = word.count
        let s = word.startIndex
        if n >= 3 {
            let e = word.endIndex
            if isConsonant(word, e - 3) && !isConsonant(word, e - 2) && isConsonant(word, e - 1) {
                let last = word[e - 1]
                if last != "w" && last != "x" && last != "y" { return true }
            }
        }
        return n == 2 && !isConsonant(word, s) && isConsonant(word, s + 1)
    }

    private static func endsWith(_ word: Word, _ suffix: Word) -> Bool {
        guard word.count >= suffix.count else { return false }
        return word[(word.count - suffix.count)...].elementsEqual(suffix)
    }

    // MARK: - Rules

    private enum Condition {
        case always
        case positiveMeasure
        case measureAboveOne
        /// Step 4 `-ion`: m > 1 and the stem ends in `s` or `t`.
        case ionStem
        /// Step 2 `-logi` (`NLTK_EXTENSIONS`): m > 0 of the word less its last three letters.
        case logi
    }

    private struct Rule {
        let suffix: [Unicode.Scalar]
        let replacement: [Unicode.Scalar]
        let condition: Condition

        init(_ suffix: String, _ replacement: String, _ condition: Condition) {
            self.suffix = Array(suffix.unicodeScalars)
            self.replacement = Array(replacement.unicodeScalars)
            self.condition = condition
        }
    }

    private static func holds(_ condition: Condition, stem: ArraySlice<Unicode.Scalar>, word: Word) -> Bool {
        switch condition {
        case .always: return true
        case .positiveMeasure: return measure(stem) > 0
        case .measureAboveOne: return measure(stem) > 1
        case .ionStem:
            guard measure(stem) > 1, let last = stem.last else { return false }
            return last == "s" || last == "t"
        case .logi: return measure(word[..<(word.count - 3)]) > 0
        }
    }

    /// nltk `_apply_rule_list`: the first rule whose suffix matches decides, whether or not its
    /// condition holds.
    private static func apply(_ rules: [Rule], to word: Word) -> Word {
        for rule in rules where endsWith(word, rule.suffix) {
            let stem = word[..<(word.count - rule.suffix.count)]
            guard holds(rule.condition, stem: stem, word: word) else { return word }
            return Array(stem) + rule.replacement
        }
        return word
    }

    private static func replacingSuffix(_ word: Word, count: Int, with replacement: String) -> Word {
        Array(word[..<(word.count - count)]) + Array(replacement.unicodeScalars)
    }

    private static let step1aRules = [
        Rule("sses", "ss", .always),
        Rule("ies", "i", .always),
        Rule("ss", "ss", .always),
        Rule("s", "", .always),
    ]

    private static let step2Rules = [
        Rule("ational", "ate", .positiveMeasure),
        Rule("tional", "tion", .positiveMeasure),
        Rule("enci", "ence", .positiveMeasure),
        Rule("anci", "ance", .positiveMeasure),
        Rule("izer", "ize", .positiveMeasure),
        Rule("bli", "ble", .positiveMeasure),
        Rule("alli", "al", .positiveMeasure),
        Rule("entli", "ent", .positiveMeasure),
        Rule("eli", "e", .positiveMeasure),
        Rule("ousli", "ous", .positiveMeasure),
        Rule("ization", "ize", .positiveMeasure),
        Rule("ation", "ate", .positiveMeasure),
        Rule("ator", "ate", .positiveMeasure),
        Rule("alism", "al", .positiveMeasure),
        Rule("iveness", "ive", .positiveMeasure),
        Rule("fulness", "ful", .positiveMeasure),
        Rule("ousness", "ous", .positiveMeasure),
        Rule("aliti", "al", .positiveMeasure),
        Rule("iviti", "ive", .positiveMeasure),
        Rule("biliti", "ble", .positiveMeasure),
        Rule("fulli", "ful", .positiveMeasure),
        Rule("logi", "log", .logi),
    ]

    private static let step3Rules = [
        Rule("icate", "ic", .positiveMeasure),
        Rule("ative", "", .positiveMeasure),
        Rule("alize", "al", .positiveMeasure),
        Rule("iciti", "ic", .positiveMeasure),
        Rule("ical", "ic", .positiveMeasure),
        Rule("ful", "", .positiveMeasure),
        Rule("ness", "", .positiveMeasure),
    ]

    private static let step4Rules = [
        Rule("al", "", .measureAboveOne),
        Rule("ance", "", .measureAboveOne),
        Rule("ence", "", .measureAboveOne),
        Rule("er", "", .measureAboveOne),
        Rule("ic", "", .measureAboveOne),
        Rule("able", "", .measureAboveOne),
        Rule("ible", "", .measureAboveOne),
        Rule("ant", "", .measureAboveOne),
        Rule("ement", "", .measureAboveOne),
        Rule("ment", "", .measureAboveOne),
        Rule("ent", "", .measureAboveOne),
        Rule("ion", "", .ionStem),
        Rule("ou", "", .measureAboveOne),
        Rule("ism", "", .measureAboveOne),
        Rule("ate", "", .measureAboveOne),
        Rule("iti", "", .measureAboveOne),
        Rule("ous", "", .measureAboveOne),
        Rule("ive", "", .measureAboveOne),
        Rule("ize", "", .measureAboveOne),
    ]

    private static let step1bRules = [
        Rule("at", "ate", .always),
        Rule("bl", "ble", .always),
        Rule("iz", "ize", .always),
    ]

    private static let ies: Word = ["i", "e", "s"]
    private static let ied: Word = ["i", "e", "d"]
    private static let eed: Word = ["e", "e", "d"]
    private static let ed: Word = ["e", "d"]
    private static let ing: Word = ["i", "n", "g"]
    private static let alli: Word = ["a", "l", "l", "i"]
    private static let ll: Word = ["l", "l"]

    // MARK: - Steps

    /// Step 1a: `-sses`, `-ies`, `-ss`, `-s`; four-letter `-ies` words keep `-ie`.
    private func step1a(_ word: Word) -> Word {
        if Self.endsWith(word, Self.ies) && word.count == 4 {
            return Self.replacingSuffix(word, count: 3, with: "ie")
        }
        return Self.apply(Self.step1aRules, to: word)
    }

    /// Step 1b: `-ied`, `-eed`, `-ed`, `-ing` and the tidying after `-ed`/`-ing`.
    private func step1b(_ word: Word) -> Word {
        if Self.endsWith(word, Self.ied) {
            return Self.replacingSuffix(word, count: 3, with: word.count == 4 ? "ie" : "i")
        }
        if Self.endsWith(word, Self.eed) {
            let stem = word[..<(word.count - 3)]
            return Self.measure(stem) > 0 ? Array(stem) + ["e", "e"] : word
        }
        var intermediate: Word? = nil
        for suffix in [Self.ed, Self.ing] where Self.endsWith(word, suffix) {
            let candidate = word[..<(word.count - suffix.count)]
            if Self.containsVowel(candidate) {
                intermediate = Array(candidate)
                break
            }
        }
        guard let stem = intermediate else { return word }

        // nltk `_apply_rule_list(intermediate_stem, [at, bl, iz, *d, ""])`.
        for rule in Self.step1bRules where Self.endsWith(stem, rule.suffix) {
            return Array(stem[..<(stem.count - rule.suffix.count)]) + rule.replacement
        }
        if Self.endsDoubleConsonant(stem[...]) {
            guard let last = stem.last else { return stem }
            if last != "l" && last != "s" && last != "z" {
                return Array(stem[..<(stem.count - 2)]) + [last]
            }
            return stem
        }
        if Self.measure(stem[...]) == 1 && Self.endsCVC(stem[...]) {
            return stem + ["e"]
        }
        return stem
    }

    /// Step 1c: `y → i` after a consonant that is not the first letter.
    private func step1c(_ word: Word) -> Word {
        guard word.last == "y" else { return word }
        let stem = word[..<(word.count - 1)]
        if stem.count > 1 && Self.isConsonant(stem, stem.endIndex - 1) {
            return Array(stem) + ["i"]
        }
        return word
    }

    /// Step 2: double suffixes to single ones (`-ational → -ate`, ...), nltk's `-alli` first.
    private func step2(_ word: Word) -> Word {
        if Self.endsWith(word, Self.alli) && Self.measure(word[..<(word.count - 4)]) > 0 {
            return step2(Self.replacingSuffix(word, count: 4, with: "al"))
        }
        return Self.apply(Self.step2Rules, to: word)
    }

    /// Step 3: `-icate`, `-ative`, `-alize`, `-iciti`, `-ical`, `-ful`, `-ness`.
    private func step3(_ word: Word) -> Word {
        Self.apply(Self.step3Rules, to: word)
    }

    /// Step 4: drops `-al`, `-ance`, ... when m > 1.
    private func step4(_ word: Word) -> Word {
        Self.apply(Self.step4Rules, to: word)
    }

    /// Step 5a: drops a final `e` when m > 1, or m = 1 and not `*o`.
    private func step5a(_ word: Word) -> Word {
        guard word.last == "e" else { return word }
        let stem = word[..<(word.count - 1)]
        let m = Self.measure(stem)
        if m > 1 || (m == 1 && !Self.endsCVC(stem)) { return Array(stem) }
        return word
    }

    /// Step 5b: `-ll → -l` when m > 1 (measured on the word less its last letter).
    private func step5b(_ word: Word) -> Word {
        guard Self.endsWith(word, Self.ll) else { return word }
        if Self.measure(word[..<(word.count - 1)]) > 1 {
            return Array(word[..<(word.count - 2)]) + ["l"]
        }
        return word
    }
}
