import DetoxNN
import DetoxTensor

/// A language model with TRL's value head: what PPO trains (log-probabilities, values and logits of
/// given responses) and where its reference comes from (the same network with its LoRA adapters off).
///
/// The trainer gives queries and responses as unpadded token rows (responses in the form
/// ``LanguageModel/generateResponses(queries:configuration:generator:)`` returns) and does TRL's
/// arithmetic on what ``forward(queries:responses:)`` returns; the family-specific packing and the
/// mask of which positions belong to a response live in the conformer.
///
/// What a conformer must guarantee:
/// - Shapes: for `B` rows, ``forward(queries:responses:)`` returns log-probabilities `[B, T]`, values
///   `[B, T]`, logits `[B, T, vocab]` and a 0/1 mask `[B, T]`; ``responseMask(queries:responses:)``
///   returns that same mask without running the model.
/// - Alignment: columns are response-aligned. Column `t` of a row scores that row's response at the
///   same place whatever other rows share the call; only the width `T` depends on them. The trainer
///   evaluates minibatches separately and pads narrower results with zeros on the right (outside
///   the mask) to line them up. A family that packs rows with left padding (decoder-only, TRL's
///   layout) therefore returns the columns of each response, shifted to start at column 0. That
///   changes none of TRL's masked quantities: the score still lands on the last masked position,
///   and generalized advantage estimation sees zero values and rewards after each response.
/// - Values come from the value head on the hidden state of the position that predicts the token
///   (TRL's `values[:, :-1]` alignment with the log-probabilities).
/// - Dropout follows `setTraining(_:)`; gradients are recorded unless the caller is inside
///   `Tensor.withNoGrad`.
/// - ``model`` holds every LoRA adapter, so disabling them there gives the reference policy.
public protocol PolicyLanguageModel: Module {
    associatedtype Model: LanguageModel
    associatedtype ValueHead: Module

    /// The language model, the module the LoRA adapters attach to.
    var model: Model { get }
    /// The value head; its state dict goes into checkpoints under TRL's `v_head.` prefix.
    var valueHead: ValueHead { get }
    /// The fewest tokens a response may have for ``forward(queries:responses:)`` to score it.
    var minimumResponseLength: Int { get }

    /// Per-response-token log-probabilities, values, logits and the response mask of each row (see the
    /// protocol's guarantees).
    func forward(queries: [[Int]], responses: [[Int]]) throws -> PolicyForwardPass

    /// The `[B, T]` 0/1 mask of the positions that belong to each response, as
    /// ``forward(queries:responses:)`` returns it.
    func responseMask(queries: [[Int]], responses: [[Int]]) -> Tensor
}
