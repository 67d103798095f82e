/// One dialogue with its reference summary, as in DialogSum (`id, dialogue, summary, topic`).
public struct DialogueRecord: Sendable, Equatable, Codable {
    public var id: String
    /// Turns separated by newlines, speakers written `#Person1#:`.
    public var dialogue: String
    /// The reference summary (empty when a file has none, e.g. DialogSum's holdout split).
    public var summary: String
    public var topic: String

    public init(id: String, dialogue: String, summary: String, topic: String = "") {
        self.id = id
        self.dialogue = dialogue
        self.summary = summary
        self.topic = topic
    }
}
