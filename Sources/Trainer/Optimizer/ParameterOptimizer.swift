// What every optimizer offers the training step: one update of the flat parameter buffer from the
// flat gradient buffer at a given learning rate, and the update count the schedule reads.

/// An optimizer over the flat parameter buffer (AdamW, Adafactor, Distributed Shampoo).
public protocol ParameterOptimizer: AnyObject {
    /// Updates applied so far (optax's `count`): the schedule's rate for the next update is read
    /// at this count.
    var step: Int { get }

    /// Applies one update to `parameters` from `gradients` (both full-size buffers in layout
    /// order) with `learningRate`, then advances `step` by one.
    func update(parameters: FlatBuffer, gradients: FlatBuffer, learningRate: Float)
}

extension AdamW: ParameterOptimizer {}
