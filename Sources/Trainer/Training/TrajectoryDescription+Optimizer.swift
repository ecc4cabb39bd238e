// The optimizer of a trajectory directory, read from trajectory.json → optimizer: AdamW from its
// b1/b2/eps/weight_decay, Adafactor and Distributed Shampoo from the library call recorded in
// `call` (`passed` over `defaults_not_passed`), refusing settings this program does not implement.
import Foundation

extension TrajectoryDescription {
    /// The optimizer settings described by `object` (trajectory.json → optimizer).
    static func optimizerSettings(
        _ object: [String: Any], malformed: (String) -> ReferenceCheckError
    ) throws -> OptimizerSettings {
        func number(_ source: [String: Any], _ key: String) -> Double? {
            (source[key] as? NSNumber)?.doubleValue
        }
        let name = object["optim"] as? String ?? "adam"
        let call = object["call"] as? [String: Any] ?? [:]
        var arguments = call["defaults_not_passed"] as? [String: Any] ?? [:]
        arguments.merge(call["passed"] as? [String: Any] ?? [:]) { $1 }
        func value(_ key: String) throws -> Double {
            guard let found = number(arguments, key) else { throw malformed("optimizer.call needs \(key)") }
            return found
        }
        func optional(_ key: String) -> Double? { arguments[key] is NSNull ? nil : number(arguments, key) }
        func flag(_ key: String, default fallback: Bool) -> Bool { (arguments[key] as? Bool) ?? fallback }
        func require(_ key: String, _ expected: Bool, default fallback: Bool) throws {
            if flag(key, default: fallback) != expected {
                throw malformed("optimizer.call: \(key) = \(!expected) is not implemented")
            }
        }
        switch name {
        case "adam":
            return .adam(
                AdamWHyperparameters(
                    beta1: number(object, "b1") ?? 0.9, beta2: number(object, "b2") ?? 0.999,
                    epsilon: number(object, "eps") ?? 1e-8, weightDecay: number(object, "weight_decay") ?? 0))
        case "adafactor":
            if optional("momentum") != nil {
                throw malformed("optimizer.call: Adafactor momentum is not implemented")
            }
            var settings = AdafactorHyperparameters()
            settings.minDimSizeToFactor =
                flag("factored", default: true) ? Int(try value("min_dim_size_to_factor")) : Int.max
            settings.decayRate = try value("decay_rate")
            settings.decayOffset = Int(try value("decay_offset"))
            settings.epsilon = try value("eps")
            settings.clippingThreshold = optional("clipping_threshold")
            settings.multiplyByParameterScale = flag("multiply_by_parameter_scale", default: true)
            settings.weightDecayRate = optional("weight_decay_rate")
            return .adafactor(settings)
        case "distributed_shampoo":
            try require("shard_optimizer_states", true, default: false)
            try require("decoupled_weight_decay", false, default: false)
            try require("decoupled_learning_rate", true, default: true)
            try require("best_effort_shape_interpretation", true, default: true)
            try require("best_effort_memory_usage_reduction", false, default: false)
            if (optional("statistics_compute_steps") ?? 1) != 1
                || optional("clip_by_scaled_gradient_norm") != nil
            {
                throw malformed(
                    "optimizer.call: statistics_compute_steps ≠ 1 or gradient clipping is not implemented")
            }
            var settings = ShampooHyperparameters()
            settings.beta1 = try value("beta1")
            settings.beta2 = try value("beta2")
            settings.diagonalEpsilon = try value("diagonal_epsilon")
            settings.matrixEpsilon = try value("matrix_epsilon")
            settings.weightDecay = try value("weight_decay")
            settings.startPreconditioningStep = Int(try value("start_preconditioning_step"))
            settings.preconditioningComputeSteps = Int(try value("preconditioning_compute_steps"))
            settings.blockSize = Int(try value("block_size"))
            guard let graft = ShampooGraftType(libraryValue: Int(try value("graft_type"))) else {
                throw malformed(
                    "optimizer.call: graft_type \(arguments["graft_type"] ?? "") is not implemented")
            }
            settings.graftType = graft
            settings.nesterov = flag("nesterov", default: true)
            settings.skipPreconditioningDimSizeGT = Int(try value("skip_preconditioning_dim_size_gt"))
            settings.inverseFailureThreshold = try value("inverse_failure_threshold")
            settings.mergeSmallDimsBlockSize = Int(optional("merge_small_dims_block_size") ?? 4096)
            settings.movingAverageForMomentum = flag("moving_average_for_momentum", default: false)
            settings.exponentOverride = Int(optional("exponent_override") ?? 0)
            return .distributedShampoo(settings)
        default:
            throw malformed("optimizer.optim \(name) is not one of adam, adafactor, distributed_shampoo")
        }
    }
}
