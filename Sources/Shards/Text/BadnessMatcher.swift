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

    let alternatives: [[Step]]
    /// For each code point below `tableLimit`: bit k set when alternative k can start with it.
    private let firstTable: [UInt64]
    /// Alternatives whose first step may be skipped (tried at every position), those whose first
    /// step is not a plain class (tried at every code point from `tableLimit` on), and those
    /// anchored at the text's start.
    private let optionalFirst: UInt64
    private let generalFirst: UInt64
    private let anchored: UInt64
    /// Explicit class members from `tableLimit` on -> alternatives whose first class lists them.
    private let highFirst: [UInt32: UInt64]
    private static let tableLimit: UInt32 = 0x3000

    /// Parses `pattern`; nil when it uses syntax outside the subset above.
    init?(pattern: String) {
        guard let alternatives = Self.parse(Array(pattern.unicodeScalars)), alternatives.count <= 64,
            alternatives.allSatisfy({ !$0.isEmpty })
        else { return nil }
        self.alternatives = alternatives
        var table = [UInt64](repeating: 0, count: Int(Self.tableLimit))
        var optional: UInt64 = 0
        var general: UInt64 = 0
        var anchored: UInt64 = 0
        var high: [UInt32: UInt64] = [:]
        for (k, steps) in alternatives.enumerated() {
            let bit = UInt64(1) << UInt64(k)
            if steps[0].atom == .start {
                anchored |= bit
                continue
            }
            if steps[0].isOptional { optional |= bit }
            for cp in 0..<Self.tableLimit where Self.accepts(steps[0].atom, cp) { table[Int(cp)] |= bit }
            switch steps[0].atom {
            case .set(let ranges, false):
                for range in ranges where range.upperBound >= Self.tableLimit {
                    for cp in max(range.lowerBound, Self.tableLimit)...range.upperBound {
                        high[cp, default: 0] |= bit
                    }
                }
            default: general |= bit
            }
        }
        firstTable = table
        optionalFirst = optional
        generalFirst = general
        self.anchored = anchored
        highFirst = high
    }

    /// Whether the pattern matches anywhere in `text`.
    func matches(_ text: [Unicode.Scalar]) -> Bool {
        text.withUnsafeBufferPointer { t in
            var candidates = anchored
            for i in 0...t.count {
                if i < t.count {
                    let cp = t[i].value
                    if cp < Self.tableLimit {
                        candidates |= firstTable[Int(cp)] | optionalFirst
                    } else {
                        candidates |= (highFirst[cp] ?? 0) | generalFirst | optionalFirst
                    }
                } else {
                    candidates |= optionalFirst  // only a skipped first step can match at the end
                }
                while candidates != 0 {
                    let k = candidates.trailingZeroBitCount
                    candidates &= candidates - 1
                    if Self.match(alternatives[k], 0, t, i) { return true }
                }
            }
            return false
        }
    }

    /// Whether `steps[s...]` matches `t` from position `i` (trying an optional step with and without).
    private static func match(_ steps: [Step], _ s: Int, _ t: UnsafeBufferPointer<Unicode.Scalar>, _ i: Int)
        -> Bool
    {
        guard s < steps.count else { return true }
        let step = steps[s]
        if step.atom == .start {
            return i == 0 && match(steps, s + 1, t, i)
        }
        if i < t.count, accepts(step.atom, t[i].value), match(steps, s + 1, t, i + 1) { return true }
        return step.isOptional && match(steps, s + 1, t, i)
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
