// The value rules of TrainingOptions: each row's rule from the table, then the rules that join
// several options. Every error names the JSON key, the value and the rule.

extension TrainingOptions {
    /// Checks every option; throws `TrainingOptionsError.invalidValue` naming the first bad key.
    public func validate() throws {
        for spec in Self.table {
            if let expected = spec.rule(self) {
                throw TrainingOptionsError.invalidValue(
                    key: spec.key, value: OptionSpec.text(spec.read(self)), expected: expected)
            }
        }
        if lrDecay == .exponential { try validateExponential() }
    }

    /// The exponential decay needs both of its parameters (train.py fails without them).
    func validateExponential() throws {
        guard let steps = lrTransitionSteps, steps > 0 else {
            throw TrainingOptionsError.invalidValue(
                key: "lr_transition_steps", value: lrTransitionSteps.map { "\($0)" } ?? "null",
                expected: "an integer > 0 when lr_decay is exponential")
        }
        guard let rate = lrDecayRate, rate.isFinite, rate > 0 else {
            throw TrainingOptionsError.invalidValue(
                key: "lr_decay_rate", value: lrDecayRate.map { "\($0)" } ?? "null",
                expected: "a number > 0 when lr_decay is exponential")
        }
    }
}
