// config.json as dalle-mini writes it: the DalleBartConfig keys, with Float fields printed as
// the short decimals a person wrote (0.1), not their Double widening (0.10000000149011612).
// Not here: the keys and their encoding (Config/DalleBartConfig+Codable.swift).
import Foundation

extension Checkpoint {
    /// dalle-mini's config.json for `config` (pretty, keys sorted, short decimals).
    public static func configJSON(_ config: DalleBartConfig) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(config), as: UTF8.self)
        return Data(shortFloatNumbers(in: text).utf8)
    }

    /// Rewrites every fractional JSON number (outside strings) that is exactly a Float widened
    /// to Double as Float's shortest decimal: `0.019999999552965164` becomes `0.02`.
    /// Python's `json` reads both forms; the short one is what dalle-mini's own configs hold.
    static func shortFloatNumbers(in json: String) -> String {
        var result = ""
        result.reserveCapacity(json.utf8.count)
        var isInString = false
        var isEscaped = false
        var index = json.startIndex
        while index < json.endIndex {
            let character = json[index]
            if isInString {
                result.append(character)
                if isEscaped {
                    isEscaped = false
                } else if character == "\\" {
                    isEscaped = true
                } else if character == "\"" {
                    isInString = false
                }
                index = json.index(after: index)
                continue
            }
            if character == "\"" {
                isInString = true
                result.append(character)
                index = json.index(after: index)
                continue
            }
            guard character == "-" || character.isASCII && character.isNumber else {
                result.append(character)
                index = json.index(after: index)
                continue
            }
            var end = index
            while end < json.endIndex, "+-.eE0123456789".contains(json[end]) { end = json.index(after: end) }
            result += shortened(String(json[index..<end]))
            index = end
        }
        return result
    }

    /// `token` as Float's shortest decimal when it is a fractional number that a Float holds exactly.
    private static func shortened(_ token: String) -> String {
        guard token.contains(where: { ".eE".contains($0) }), let value = Double(token), value.isFinite,
            let single = Float(exactly: value)
        else {
            return token
        }
        return "\(single)"
    }
}
