// ftfy's mojibake heuristic (`badness.BADNESS_RE.search`) without a regex engine: the expression
// is an alternation of short sequences of character classes, matched here over scalars with a
// per-character table of the alternatives each character can start.

/// `BADNESS_RE.search(text) is not None` for the pattern of `ftfy.json` (ICU syntax, restricted
/// to what that pattern uses: `|`, classes with ranges and `^`, `\x{H}`/`\xHH`, `\s`, `\w`, `.`,
/// `^` at the start of an alternative, and `?` after an atom). Python's meaning of `\s`, `\w`
/// and `.` is kept.
struct BadnessMatcher: Sendable {
    /// One position of an alternative.
    enum Atom: Sendable, Equatable {
        case set(ranges: [ClosedRange<UInt32>], negated: Bool)
        case space, word, any, start
    }
    struct Step: Sendable {
        var atom: Atom
        var isOptional: Bool
    }

    /// The alternatives with optional steps expanded (with and without), `^` removed.
    let alternatives: [[Atom]]
    /// Alternatives anchored at the text's start.
    private let anchored: UInt64
    /// `stepTable[s][cp]`: bit k set when step s of alternative k accepts code point cp
    /// (cp below `tableLimit`); `highTable` the same for listed code points from there on.
    private let stepTable: [[UInt64]]
    private let highTable: [UInt32: [UInt64]]
    /// Per step, the alternatives whose step is `\s`, `\w`, `.` or a negated class (evaluated for
    /// code points from `tableLimit` on), and per length, the alternatives of that length.
    private let propertySteps: [UInt64]
    private let lengthMasks: [UInt64]
    private static let tableLimit: UInt32 = 0x3000

    /// Parses `pattern`; nil when it uses syntax outside the subset above.
    init?(pattern: String) {
        guard let parsed = Self.parse(Array(pattern.unicodeScalars)) else { return nil }
        var expanded: [(atoms: [Atom], isAnchored: Bool)] = []
        for steps in parsed {
            var variants: [[Atom]] = [[]]
            for step in steps where step.atom != .start {
                let with = variants.map { $0 + [step.atom] }
                variants = step.isOptional ? variants + with : with
            }
            let isAnchored = steps.contains { $0.atom == .start }
            expanded += variants.map { ($0, isAnchored) }
        }
        guard expanded.count <= 64, expanded.allSatisfy({ !$0.atoms.isEmpty }) else { return nil }
        alternatives = expanded.map(\.atoms)
        let longest = alternatives.map(\.count).max() ?? 0
        var table = [[UInt64]](repeating: [UInt64](repeating: 0, count: Int(Self.tableLimit)), count: longest)
        var high: [UInt32: [UInt64]] = [:]
        var property = [UInt64](repeating: 0, count: longest)
        var lengths = [UInt64](repeating: 0, count: longest + 1)
        var anchored: UInt64 = 0
        for (k, alternative) in expanded.enumerated() {
            let bit = UInt64(1) << UInt64(k)
            if alternative.isAnchored { anchored |= bit }
            lengths[alternative.atoms.count] |= bit
            for (s, atom) in alternative.atoms.enumerated() {
                for cp in 0..<Self.tableLimit where Self.accepts(atom, cp) { table[s][Int(cp)] |= bit }
                guard case .set(let ranges, false) = atom else {
                    property[s] |= bit
                    continue
                }
                for range in ranges where range.upperBound >= Self.tableLimit {
                    for cp in max(range.lowerBound, Self.tableLimit)...range.upperBound {
                        high[cp, default: [UInt64](repeating: 0, count: longest)][s] |= bit
                    }
                }
            }
        }
        self.anchored = anchored
        stepTable = table
        highTable = high
        propertySteps = property
        lengthMasks = lengths
    }

    /// Whether the pattern matches anywhere in `text`: all alternatives advance together, bit k
    /// of `active[s]` meaning that alternative k has matched s steps ending here.
    func matches(_ text: [Unicode.Scalar]) -> Bool {
        let longest = stepTable.count
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: longest + 1) { active in
            active.initialize(repeating: 0)
            for (i, scalar) in text.enumerated() {
                let cp = scalar.value
                let high = cp < Self.tableLimit ? nil : highTable[cp]
                active[0] = i == 0 ? ~0 : ~anchored
                var s = longest - 1
                while s >= 0 {
                    if active[s] != 0 {
                        active[s + 1] = active[s] & stepMask(s, cp, high)
                    } else {
                        active[s + 1] = 0
                    }
                    s -= 1
                }
                for length in 1...longest where active[length] & lengthMasks[length] != 0 { return true }
            }
            return false
        }
    }

    /// The alternatives whose step `s` accepts `cp` (`high`: `highTable[cp]`).
    @inline(__always)
    private func stepMask(_ s: Int, _ cp: UInt32, _ high: [UInt64]?) -> UInt64 {
        if cp < Self.tableLimit { return stepTable[s][Int(cp)] }
        var mask = high?[s] ?? 0
        var property = propertySteps[s]
        while property != 0 {
            let k = property.trailingZeroBitCount
            property &= property - 1
            if Self.accepts(alternatives[k][s], cp) { mask |= 1 << UInt64(k) }
        }
        return mask
    }

    private static func accepts(_ atom: Atom, _ cp: UInt32) -> Bool {
        switch atom {
        case .set(let ranges, let negated):
            var low = 0
            var high = ranges.count
            while low < high {
                let mid = (low + high) / 2
                if ranges[mid].upperBound < cp { low = mid + 1 } else { high = mid }
            }
            return (low < ranges.count && ranges[low].contains(cp)) != negated
        case .space: return isPythonSpace(cp)
        case .word:
            guard let scalar = Unicode.Scalar(cp) else { return false }
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
                return true
            default: return cp == 0x5F || scalar.properties.numericType != nil
            }
        case .any: return cp != 0x0A
        case .start: return false
        }
    }

    /// Python's `str.isspace()` for one character.
    static func isPythonSpace(_ cp: UInt32) -> Bool {
        (cp >= 0x1C && cp <= 0x1F) || (Unicode.Scalar(cp)?.properties.isWhitespace ?? false)
    }
}

extension BadnessMatcher {
    /// Alternatives of `p`, nil on unsupported syntax.
    fileprivate static func parse(_ p: [Unicode.Scalar]) -> [[Step]]? {
        var alternatives: [[Step]] = [[]]
        var i = 0
        func escape() -> UInt32? {  // at "\x": "\x{H..}" or "\xHH"
            guard i + 2 < p.count, p[i] == "\\", p[i + 1] == "x" else { return nil }
            if p[i + 2] == "{" {
                guard let close = p[i...].firstIndex(of: "}"),
                    let value = UInt32(String(String.UnicodeScalarView(p[(i + 3)..<close])), radix: 16)
                else { return nil }
                i = close + 1
                return value
            }
            guard i + 3 < p.count,
                let value = UInt32(String(String.UnicodeScalarView(p[(i + 2)...(i + 3)])), radix: 16)
            else { return nil }
            i += 4
            return value
        }
        func character() -> UInt32? {  // a literal or an escape inside or outside a class
            if p[i] == "\\" { return escape() }
            if "[]|()*+{}?.^$".unicodeScalars.contains(p[i]) { return nil }
            defer { i += 1 }
            return p[i].value
        }
        while i < p.count {
            var atom: Atom
            switch p[i] {
            case "|":
                alternatives.append([])
                i += 1
                continue
            case "^":
                guard alternatives[alternatives.count - 1].isEmpty else { return nil }
                atom = .start
                i += 1
            case ".":
                atom = .any
                i += 1
            case "[":
                i += 1
                let negated = i < p.count && p[i] == "^"
                if negated { i += 1 }
                var ranges: [ClosedRange<UInt32>] = []
                while i < p.count, p[i] != "]" {
                    guard let low = character() else { return nil }
                    var high = low
                    if i + 1 < p.count, p[i] == "-", p[i + 1] != "]" {
                        i += 1
                        guard let value = character(), value >= low else { return nil }
                        high = value
                    }
                    ranges.append(low...high)
                }
                guard i < p.count else { return nil }
                i += 1
                atom = .set(ranges: merged(ranges), negated: negated)
            case "\\" where i + 1 < p.count && p[i + 1] == "s":
                atom = .space
                i += 2
            case "\\" where i + 1 < p.count && p[i + 1] == "w":
                atom = .word
                i += 2
            default:
                guard let value = character() else { return nil }
                atom = .set(ranges: [value...value], negated: false)
            }
            let isOptional = i < p.count && p[i] == "?"
            if isOptional { i += 1 }
            alternatives[alternatives.count - 1].append(Step(atom: atom, isOptional: isOptional))
        }
        return alternatives
    }

    /// Sorted, non-overlapping ranges covering `ranges`.
    private static func merged(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var out: [ClosedRange<UInt32>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, range.lowerBound <= last.upperBound &+ 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                out.append(range)
            }
        }
        return out
    }
}
