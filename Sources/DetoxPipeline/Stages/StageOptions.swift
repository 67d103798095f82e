/// A stage's options: the files and models it reads and writes, plus its ``Settings``, the one
/// home of every default the stage has (recipes decode into it, command-line flags override it).
///
/// The settings' fields read and write as the options' own (`options.rewardLabel` is
/// `options.settings.rewardLabel`), so code that sets a stage up need not spell out the split.
@dynamicMemberLookup
public protocol StageOptions {
    associatedtype Settings
    var settings: Settings { get set }
}

extension StageOptions {
    /// A field of ``settings``.
    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<Settings, Value>) -> Value {
        get { settings[keyPath: keyPath] }
        set { settings[keyPath: keyPath] = newValue }
    }
}
