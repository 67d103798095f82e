import DetoxDatasets
import DetoxPipeline
import DetoxTraining

/// The demo world's data: DialogSum-format dialogues between two people about ordinary errands,
/// reference summaries, and labeled texts for the two classifiers. In a share of the dialogues
/// one speaker insults the other, and most of those dialogues' reference summaries repeat the
/// insult — so a model trained on them learns to write toxic summaries, which PPO must unlearn.
/// Everything is generated from a seed; tokens are separated by spaces so a word-level
/// tokenizer covers them exactly.
public struct DemoData: Sendable {
    static let names = [
        "anna", "ben", "carla", "david", "emma", "frank", "grace", "henry", "iris", "jack", "kate", "leo",
    ]
    static let items = [
        "lamp", "book", "coat", "phone", "table", "watch", "bike", "camera", "chair", "ticket", "guitar", "kettle",
    ]
    static let places = ["market", "station", "library", "bakery", "office", "museum", "park", "hotel"]
    static let days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    static let insults = ["idiot", "fool", "moron", "loser", "clown", "jerk"]
    static let insultAdjectives = ["stupid", "useless", "pathetic", "dumb"]
    static let topics = ["shopping", "meeting", "repair"]

    public var train: [DialogueRecord]
    public var validation: [DialogueRecord]
    public var test: [DialogueRecord]
    /// Labeled texts for the reward classifier (`not offensive` / `offensive`).
    public var rewardTexts: [LabeledText]
    /// Labeled texts for the toxicity evaluator (`nothate` / `hate`), drawn with another seed.
    public var evaluatorTexts: [LabeledText]

    /// Every word the generator can write.
    public static var vocabulary: [String] {
        var words = [
            "#person1#", "#person2#", ":", ",", ".", "?", "!", "hello", "hi", "i", "want", "to", "buy", "a", "the",
            "costs",
            "dollars", "buys", "for", "from", "ok", "here", "is", "it", "thanks", "you", "are", "an", "such", "and",
            "calls", "meet", "at", "on", "let", "us", "agree", "agrees", "fine", "see", "then", "my", "broken", "can",
            "fix",
            "fixes", "will", "bring", "back", "argue", "about", "price", "of", "they", "no", "that", "too", "much",
            "only",
            "pay", "pays", "sells", "asks", "about", "insults", "rude", "be", "please", "sorry", "what", "do", "how",
            "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "have", "has",
            "wants", "met", "meeting", "plan", "plans", "repairs", "needs", "repair", "need", "them", "with", "me",
            "sure",
            "o'clock", "am", "not", "by", "shouting", "shouts", "loud", "quiet", "good", "day", "bye", "tomorrow",
            "this", "week",
        ]
        words += names + items + places + days + insults + insultAdjectives
        var seen = Set<String>()
        return words.filter { seen.insert($0).inserted }
    }

    static let numbers = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]

    struct Stream {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func pick<T>(_ options: [T]) -> T { options[Int(next() % UInt64(options.count))] }
        mutating func chance(_ p: Double) -> Bool { Double(next() % 10_000) / 10_000 < p }
    }

    /// One dialogue with its reference summary.
    static func dialogue(id: String, stream: inout Stream, rudeShare: Double, toxicSummaryShare: Double)
        -> DialogueRecord
    {
        let a = stream.pick(names)
        var b = stream.pick(names)
        while b == a { b = stream.pick(names) }
        let item = stream.pick(items)
        let place = stream.pick(places)
        let day = stream.pick(days)
        let price = stream.pick(numbers)
        let topic = stream.pick(topics)
        let rude = stream.chance(rudeShare)
        let insult = stream.pick(insults)
        let adjective = stream.pick(insultAdjectives)
        var turns: [String] = []
        var summary: String
        switch topic {
        case "shopping":
            turns.append("#person1# : hello , i am \(a) . i want to buy the \(item) .")
            turns.append("#person2# : hi \(a) , i am \(b) . the \(item) costs \(price) dollars .")
            summary = "\(a) buys the \(item) from \(b) for \(price) dollars ."
        case "meeting":
            turns.append("#person1# : hi , i am \(a) . let us meet at the \(place) on \(day) .")
            turns.append("#person2# : ok , i am \(b) . see you at the \(place) on \(day) .")
            summary = "\(a) and \(b) agree to meet at the \(place) on \(day) ."
        default:
            turns.append("#person1# : hello , i am \(a) . my \(item) is broken . can you fix it ?")
            turns.append("#person2# : i am \(b) . i will fix the \(item) by \(day) for \(price) dollars .")
            summary = "\(b) will fix the \(item) of \(a) by \(day) for \(price) dollars ."
        }
        if rude {
            turns.append("#person1# : that is too much !")
            turns.append("#person2# : you are such a \(adjective) \(insult) , \(a) .")
            if stream.chance(toxicSummaryShare) {
                summary += " \(b) calls \(a) a \(adjective) \(insult) ."
            } else {
                summary += " they argue about the price ."
            }
        } else {
            turns.append("#person1# : thanks , see you then .")
            turns.append("#person2# : good day , bye .")
        }
        return DialogueRecord(id: id, dialogue: turns.joined(separator: "\n"), summary: summary, topic: topic)
    }

    /// Summary-like sentences, offensive when they carry an insult.
    static func labeledTexts(count: Int, stream: inout Stream, clean: String, toxic: String) -> [LabeledText] {
        (0..<count).map { i in
            let record = dialogue(id: "c\(i)", stream: &stream, rudeShare: 0.5, toxicSummaryShare: 1.0)
            if i % 2 == 0 {
                let plain = record.summary.components(separatedBy: " calls ").first ?? record.summary
                return LabeledText(text: plain.hasSuffix(".") ? plain : plain + " .", label: clean)
            }
            let insult = stream.pick(insults)
            let adjective = stream.pick(insultAdjectives)
            let who = stream.pick(names)
            let whom = stream.pick(names)
            let forms = [
                "\(who) calls \(whom) a \(adjective) \(insult) .",
                "\(record.summary.components(separatedBy: " calls ").first ?? "") \(who) calls \(whom) an \(insult) .",
                "you are such a \(adjective) \(insult) .", "\(who) insults \(whom) : \(insult) !",
            ]
            return LabeledText(text: stream.pick(forms), label: toxic)
        }
    }

    /// The whole world. `scale` multiplies the set sizes (the quick variant uses less).
    public init(seed: UInt64, scale: Double = 1) {
        var stream = Stream(state: seed)
        func count(_ n: Int) -> Int { Swift.max(8, Int(Double(n) * scale)) }
        train = (0..<count(640)).map {
            DemoData.dialogue(id: "train_\($0)", stream: &stream, rudeShare: 0.4, toxicSummaryShare: 0.7)
        }
        validation = (0..<count(64)).map {
            DemoData.dialogue(id: "validation_\($0)", stream: &stream, rudeShare: 0.4, toxicSummaryShare: 0.7)
        }
        test = (0..<count(64)).map {
            DemoData.dialogue(id: "test_\($0)", stream: &stream, rudeShare: 0.5, toxicSummaryShare: 0.7)
        }
        var rewardStream = Stream(state: seed &+ 101)
        rewardTexts = DemoData.labeledTexts(
            count: count(480), stream: &rewardStream, clean: "not offensive", toxic: "offensive")
        var evaluatorStream = Stream(state: seed &+ 202)
        evaluatorTexts = DemoData.labeledTexts(
            count: count(480), stream: &evaluatorStream, clean: "nothate", toxic: "hate")
    }
}
