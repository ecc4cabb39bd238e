// The `train` flags, read through the option table: defaults < `--config FILE` < flags, each flag
// written by the same table row as its JSON key. Also the option listing for `--help`.
import Foundation

extension TrainingOptions {
    /// The flag that names a run-config file.
    public static let configFlag = "--config"

    /// The run's options from command-line arguments: the defaults, overlaid by the `--config`
    /// file, overlaid by each flag in order, then validated. Accepts `--flag value`, `--flag=value`,
    /// `--switch` and `--no-switch`.
    public static func resolve(arguments: [String]) throws -> TrainingOptions {
        var flags: [(spec: OptionSpec, flag: String, text: String?)] = []
        var configPath: String?
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            var (flag, text) = split(argument)
            if flag == configFlag {
                if text == nil, index < arguments.count {
                    text = arguments[index]
                    index += 1
                }
                guard let text else {
                    throw TrainingOptionsError.badFlagValue(flag: flag, value: nil, expected: "a file path")
                }
                configPath = text
                continue
            }
            let (spec, isNegated) = try lookUp(flag)
            if spec.isSwitch {
                if isNegated {
                    guard text == nil else {
                        throw TrainingOptionsError.badFlagValue(flag: flag, value: text, expected: "no value")
                    }
                    text = "false"
                }
                flags.append((spec, flag, text ?? "true"))
                continue
            }
            if text == nil, index < arguments.count {
                text = arguments[index]
                index += 1
            }
            flags.append((spec, flag, text))
        }
        var options = TrainingOptions()
        if let configPath { options = try load(contentsOf: URL(fileURLWithPath: configPath)) }
        for (spec, flag, text) in flags {
            guard let text, let value = spec.flagValue(text), spec.write(&options, value) else {
                throw TrainingOptionsError.badFlagValue(flag: flag, value: text, expected: spec.expectation)
            }
        }
        try options.validate()
        return options
    }

    /// The option listing for `train --help`: every flag with its help, default and JSON key,
    /// wrapped to 78 columns.
    public static var flagHelp: String {
        let defaults = TrainingOptions()
        var lines = [
            "  \(configFlag) <file>", "      JSON run configuration (keys as below and in docs/TRAINING.md).",
        ]
        for spec in table {
            let names =
                spec.isSwitch
                ? spec.flags.map { "\($0), --no-\($0.dropFirst(2))" }.joined(separator: ", ")
                : spec.flags.joined(separator: ", ") + " <value>"
            let fallback = OptionSpec.text(spec.read(defaults))
            lines.append("  " + names)
            lines += wrap("\(spec.help) (default: \(fallback); key: \(spec.key))", indent: 6, width: 78)
        }
        return lines.joined(separator: "\n")
    }

    /// Words of `text` in lines of at most `width` columns, each indented by `indent` spaces.
    private static func wrap(_ text: String, indent: Int, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && indent + line.count + 1 + word.count > width {
                lines.append(String(repeating: " ", count: indent) + line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(String(repeating: " ", count: indent) + line) }
        return lines
    }

    /// `--flag=value` → (`--flag`, `value`); `--flag` → (`--flag`, nil).
    private static func split(_ argument: String) -> (String, String?) {
        guard argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") else {
            return (argument, nil)
        }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }

    /// The table row of a flag; `--no-x` finds switch `--x`, negated.
    private static func lookUp(_ flag: String) throws -> (OptionSpec, isNegated: Bool) {
        if let spec = table.first(where: { $0.flags.contains(flag) }) { return (spec, false) }
        if flag.hasPrefix("--no-"),
            let spec = table.first(where: { $0.isSwitch && $0.flags.contains("--" + flag.dropFirst(5)) })
        {
            return (spec, true)
        }
        let known = table.flatMap(\.flags) + [configFlag]
        throw TrainingOptionsError.unknownFlag(
            flag: flag, suggestion: flag.hasPrefix("--") ? EditDistance.closest(to: flag, among: known) : nil)
    }
}
