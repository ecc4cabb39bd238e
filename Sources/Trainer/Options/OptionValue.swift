// One option value as the run-config JSON or a flag spells it, and the conversions between it and
// the Swift types of TrainingOptions' fields. Not here: which options exist (TrainingOptions+Table).

/// A JSON scalar: what a run-config key or a command-line flag holds before it becomes a field.
public enum OptionValue: Equatable, Sendable, Codable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let value = try? c.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? c.decode(Int.self) {
            self = .int(value)
        } else if let value = try? c.decode(Double.self) {
            self = .double(value)
        } else if let value = try? c.decode(String.self) {
            self = .string(value)
        } else {
            self = .string("<array or object>")  // no option takes one: the field conversion fails
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let value): try c.encode(value)
        case .int(let value): try c.encode(value)
        case .double(let value): try c.encode(value)
        case .string(let value): try c.encode(value)
        }
    }
}

/// A field type an option can have: how it reads from and writes to an `OptionValue`, and how a
/// flag's text becomes one.
public protocol OptionConvertible: Equatable, Sendable {
    /// nil when `value` is not of this type.
    init?(optionValue value: OptionValue)
    var optionValue: OptionValue { get }
    /// The flag's text as a value of this type (before `init(optionValue:)`); nil when unreadable.
    static func flagValue(_ text: String) -> OptionValue?
    /// What a value must be, for error messages ("an integer").
    static var expectation: String { get }
    /// True for booleans: the flag takes no value (`--x`, `--no-x`).
    static var isSwitch: Bool { get }
}

extension OptionConvertible {
    public static var isSwitch: Bool { false }
}

extension Int: OptionConvertible {
    public init?(optionValue value: OptionValue) {
        guard case .int(let int) = value else { return nil }
        self = int
    }
    public var optionValue: OptionValue { .int(self) }
    public static func flagValue(_ text: String) -> OptionValue? { Int(text).map(OptionValue.int) }
    public static var expectation: String { "an integer" }
}

extension Double: OptionConvertible {
    public init?(optionValue value: OptionValue) {
        switch value {
        case .double(let double): self = double
        case .int(let int): self = Double(int)
        default: return nil
        }
    }
    public var optionValue: OptionValue { .double(self) }
    public static func flagValue(_ text: String) -> OptionValue? { Double(text).map(OptionValue.double) }
    public static var expectation: String { "a number" }
}

extension Bool: OptionConvertible {
    public init?(optionValue value: OptionValue) {
        guard case .bool(let bool) = value else { return nil }
        self = bool
    }
    public var optionValue: OptionValue { .bool(self) }
    public static func flagValue(_ text: String) -> OptionValue? { Bool(text).map(OptionValue.bool) }
    public static var expectation: String { "true or false" }
    public static var isSwitch: Bool { true }
}

extension String: OptionConvertible {
    public init?(optionValue value: OptionValue) {
        guard case .string(let string) = value else { return nil }
        self = string
    }
    public var optionValue: OptionValue { .string(self) }
    public static func flagValue(_ text: String) -> OptionValue? { .string(text) }
    public static var expectation: String { "a string" }
}

/// An optional field: `null` in JSON, the word `none` on the command line.
extension Optional: OptionConvertible where Wrapped: OptionConvertible {
    public init?(optionValue value: OptionValue) {
        if value == .null {
            self = .none
        } else if let wrapped = Wrapped(optionValue: value) {
            self = .some(wrapped)
        } else {
            return nil
        }
    }
    public var optionValue: OptionValue { map(\.optionValue) ?? .null }
    public static func flagValue(_ text: String) -> OptionValue? {
        text == "none" ? .null : Wrapped.flagValue(text)
    }
    public static var expectation: String { Wrapped.expectation + " or null" }
}

/// String enums (`lr_decay`, `optim`, …) by their raw values.
extension OptionConvertible where Self: RawRepresentable & CaseIterable, RawValue == String {
    public init?(optionValue value: OptionValue) {
        guard case .string(let text) = value, let choice = Self(rawValue: text) else { return nil }
        self = choice
    }
    public var optionValue: OptionValue { .string(rawValue) }
    public static func flagValue(_ text: String) -> OptionValue? { .string(text) }
    public static var expectation: String {
        "one of " + allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
    }
}
