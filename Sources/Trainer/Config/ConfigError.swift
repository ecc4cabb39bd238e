// Errors raised while decoding or validating a DalleBartConfig; each names the offending key.

/// A configuration that cannot be trained as given, naming the dalle-mini `config.json` key.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    /// A string key holds a value outside the accepted set.
    case unknownValue(key: String, value: String, accepted: [String])
    /// A key holds a value that dalle-mini accepts but this trainer does not implement.
    case unsupported(key: String, value: String, reason: String)
    /// A numeric key is out of its range.
    case outOfRange(key: String, value: String, requirement: String)
    /// Two keys contradict each other.
    case inconsistent(keys: [String], reason: String)
    /// The text could not be decoded as a configuration.
    case unreadable(source: String, reason: String)
    /// A key neither dalle-mini's DalleBartConfig nor transformers' PretrainedConfig defines.
    case unknownKey(key: String, suggestion: String?)

    public var description: String {
        switch self {
        case .unknownValue(let key, let value, let accepted):
            return
                "config key '\(key)': unknown value \"\(value)\"; accepted: \(accepted.joined(separator: ", "))"
        case .unsupported(let key, let value, let reason):
            return "config key '\(key)' = \(value) is not supported: \(reason)"
        case .outOfRange(let key, let value, let requirement):
            return "config key '\(key)' = \(value) is out of range: \(requirement)"
        case .inconsistent(let keys, let reason):
            return "config keys \(keys.map { "'\($0)'" }.joined(separator: ", ")) are inconsistent: \(reason)"
        case .unreadable(let source, let reason):
            return "\(source): cannot read the model configuration: \(reason)"
        case .unknownKey(let key, let suggestion):
            let hint = suggestion.map { "; did you mean '\($0)'?" } ?? ""
            return "config key '\(key)' is not a key of dalle-mini's DalleBartConfig nor of transformers' "
                + "PretrainedConfig\(hint)"
        }
    }
}
