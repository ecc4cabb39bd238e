// The one comparison helper for numeric tests: reports tensor name, max |a-b|, index, both values.
import Testing

/// Records a test failure unless every |actual - expected| <= atol + rtol * |expected|.
public func expectClose(
    name: String, actual: [Float], expected: [Float], atol: Float, rtol: Float,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.count == expected.count else {
        Issue.record(
            "\(name): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    var worst = (index: -1, excess: Float(0), difference: Float(0))
    for i in actual.indices {
        let difference = abs(actual[i] - expected[i])
        let excess = difference - (atol + rtol * abs(expected[i]))
        if !(excess <= 0) && (worst.index < 0 || excess > worst.excess || excess.isNaN) {
            worst = (i, excess, difference)
        }
    }
    if worst.index >= 0 {
        let i = worst.index
        let message =
            "\(name): max |a-b| beyond tolerance \(worst.difference) at index \(i): "
            + "actual \(actual[i]) expected \(expected[i]) (atol \(atol), rtol \(rtol))"
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    }
}

/// Relative error of a whole tensor: ||a - e|| / max(||e||, floor).
public func relativeError(_ actual: [Float], _ expected: [Float], floor: Double) -> Double {
    var difference = 0.0
    var norm = 0.0
    for i in actual.indices {
        let d = Double(actual[i]) - Double(expected[i])
        difference += d * d
        norm += Double(expected[i]) * Double(expected[i])
    }
    return difference.squareRoot() / max(norm.squareRoot(), floor)
}
