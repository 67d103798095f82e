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
/// - Alignment: column `t` of a row depends only on that row's query and response, never on the
///   other rows of the call, and only the width `T` does. So rows evaluated in different groupings
///   line up once narrower results are padded with zeros on the right (outside the mask).
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
