// One row of the option table: a TrainingOptions field with its JSON key, flags, help and value
// rule. The run-config file, the flags, resolved_config.json, --help and validation all read it.

/// A training option: where it lives in `TrainingOptions`, how it is spelt, and what it accepts.
public struct OptionSpec: @unchecked Sendable {
    /// The run-config JSON key (dalle-mini `train.py`'s argument name where one exists).
    public let key: String
    /// The command-line spellings, the preferred first (`--batch-size`, then the key's own).
    public let flags: [String]
    /// One line for `--help`.
    public let help: String
    /// What the value must be, for errors ("an integer or null").
    public let expectation: String
    /// True when the flag takes no value (`--x` / `--no-x`).
    public let isSwitch: Bool
    /// The field's value in `options`.
    public let read: (TrainingOptions) -> OptionValue
    /// Stores a value; false when it is not of the field's type.
    let write: (inout TrainingOptions, OptionValue) -> Bool
    /// The rule on a stored value: nil when it holds, else what was expected.
    let rule: (TrainingOptions) -> String?
    /// Turns a flag's text into a value (before `write`).
    let flagValue: (String) -> OptionValue?

    /// An option over `field`; `alias` is an extra flag spelling shown first; `rule` checks the value.
    init<Value: OptionConvertible>(
        _ key: String, _ field: WritableKeyPath<TrainingOptions, Value>, alias: String? = nil,
        help: String, rule: OptionRule<Value>? = nil
    ) {
        self.key = key
        let own = "--" + key.replacingOccurrences(of: "_", with: "-")
        self.flags = (alias.map { ["--" + $0] } ?? []) + [own]
        self.help = help
        self.expectation = Value.expectation
        self.isSwitch = Value.isSwitch
        self.read = { $0[keyPath: field].optionValue }
        self.write = { options, value in
            guard let typed = Value(optionValue: value) else { return false }
            options[keyPath: field] = typed
            return true
        }
        self.rule = { options in rule.flatMap { $0.check(options[keyPath: field]) } }
        self.flagValue = Value.flagValue
    }

    /// The value's text as `--help` and errors show it (`none` for null).
    static func text(_ value: OptionValue) -> String {
        switch value {
        case .null: return "none"
        case .bool(let value): return "\(value)"
        case .int(let value): return "\(value)"
        case .double(let value): return "\(value)"
        case .string(let value): return value
        }
    }
}

/// A value rule: `check` returns nil when the value is acceptable, else what was expected.
public struct OptionRule<Value> {
    let check: (Value) -> String?

    init(_ expected: String, _ holds: @escaping (Value) -> Bool) {
        check = { holds($0) ? nil : expected }
    }
}

extension OptionRule where Value == Int {
    static let positive = OptionRule("an integer > 0") { $0 > 0 }
    static let nonNegative = OptionRule("an integer >= 0") { $0 >= 0 }
}

extension OptionRule where Value == Int? {
    static let positiveOrNull = OptionRule("an integer > 0, or null") { $0.map { $0 > 0 } ?? true }
}

extension OptionRule where Value == Double {
    static let nonNegative = OptionRule("a number >= 0") { $0.isFinite && $0 >= 0 }
    static let positive = OptionRule("a number > 0") { $0.isFinite && $0 > 0 }
    /// Betas and dropout rates.
    static let unitInterval = OptionRule("a number in [0, 1)") { $0 >= 0 && $0 < 1 }
    static let probability = OptionRule("a probability in [0, 1]") { $0 >= 0 && $0 <= 1 }
}

extension OptionRule where Value == Double? {
    static let unitIntervalOrNull = OptionRule("a number in [0, 1), or null") {
        $0.map { $0 >= 0 && $0 < 1 } ?? true
    }
}

extension OptionRule where Value == String {
    static func nonEmpty(_ expected: String) -> OptionRule { OptionRule(expected) { !$0.isEmpty } }
}

extension OptionRule where Value == String? {
    static let pathOrNull = OptionRule("a path, or null") { $0.map { !$0.isEmpty } ?? true }
}
