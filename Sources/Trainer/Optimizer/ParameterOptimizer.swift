// What every optimizer offers the training step: one update of the flat parameter buffer from the
// flat gradient buffer at a given learning rate, the update count the schedule reads, and its
// state as named tensors for checkpoints.

/// One tensor of an optimizer's state as `optimizer.safetensors` names it.
public struct OptimizerStateTensor {
    /// The checkpoint name, e.g. `mu.<parameter>` or `statistics.0.<parameter>`.
    public var name: String
    public var shape: [Int]
    /// The live elements (count = product of `shape`).
    public var pointer: UnsafeMutablePointer<Float>
    public var count: Int { shape.reduce(1, *) }
}

/// An optimizer over the flat parameter buffer (AdamW, Adafactor, Distributed Shampoo).
public protocol ParameterOptimizer: AnyObject {
    /// Updates applied so far (optax's `count`): the schedule's rate for the next update is read
    /// at this count. Set on resume.
    var step: Int { get set }

    /// Applies one update to `parameters` from `gradients` (both full-size buffers in layout
    /// order) with `learningRate`, then advances `step` by one.
    func update(parameters: FlatBuffer, gradients: FlatBuffer, learningRate: Float)

    /// Every tensor of the state (the step count aside), in a fixed order, named for what it is.
    func stateTensors(layout: ParameterLayout) -> [OptimizerStateTensor]

    /// The `format` metadata of the checkpoint's optimizer file (`optax.adamw`, ...).
    var stateFormat: String { get }
}

extension AdamW: ParameterOptimizer {
    /// optax's Adam state names: `mu.<parameter>` and `nu.<parameter>` (complete moments only).
    public func stateTensors(layout: ParameterLayout) -> [OptimizerStateTensor] {
        precondition(!isSharded, "AdamW.stateTensors needs moments for every parameter")
        return layout.entries.map {
            OptimizerStateTensor(name: "mu.\($0.name)", shape: $0.shape, pointer: m.pointer + $0.offset)
        }
            + layout.entries.map {
                OptimizerStateTensor(name: "nu.\($0.name)", shape: $0.shape, pointer: v.pointer + $0.offset)
            }
    }

    public var stateFormat: String { "optax.adamw" }
}
