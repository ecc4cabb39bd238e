// Choosing one image token per row from the decoder's logits, as dalle-mini's sampling loop:
// super-conditioning on raw logits, the min-length processor, then the warpers temperature →
// top-k → top-p, then a categorical draw. Scratch is allocated once per vocabulary size.

/// Scores and token choice for one row at a time; owns its scratch.
final class TokenSampler {
    let classes: Int
    private let order: UnsafeMutablePointer<Int32>  // (classes) candidate ids, best first
    private let kept: UnsafeMutablePointer<Float>  // (classes) candidate scores after temperature

    init(classes: Int) {
        self.classes = classes
        order = .allocate(capacity: classes)
        kept = .allocate(capacity: classes)
    }

    deinit {
        order.deallocate()
        kept.deallocate()
    }

    /// scores = u + s·(c − u) in dalle-mini's operation order (d = c − u, m = s·d, u + m); with
    /// no unconditional logits, scores = c. Then the min-length processor: scores[eos] = −∞ when set.
    static func combine(
        scores: UnsafeMutablePointer<Float>,  // (classes)
        conditional: UnsafePointer<Float>,  // (classes)
        unconditional: UnsafePointer<Float>?,  // (classes)
        scale: Float, forbidden: Int?, classes: Int
    ) {
        if let unconditional {
            for v in 0..<classes {
                let difference = conditional[v] - unconditional[v]
                let scaled = scale * difference
                scores[v] = unconditional[v] + scaled
            }
        } else {
            scores.update(from: conditional, count: classes)
        }
        if let forbidden { scores[forbidden] = -.infinity }
    }

    /// The token the warpers and a categorical draw with `uniform` in [0, 1) pick from `scores`.
    /// Top-k keeps exactly k ids (ties: the lower id first); k = 1 is the argmax whatever `uniform`.
    func choose(scores: UnsafePointer<Float>, settings: SamplingSettings, uniform: Float) -> Int {
        let count = selectTop(scores, k: min(settings.topK, classes))
        let inverseTemperature = 1 / settings.temperature
        for i in 0..<count {
            let score = scores[Int(order[i])]
            kept[i] = settings.temperature == 1 ? score : score * inverseTemperature
        }
        guard count > 1 else { return Int(order[0]) }
        let peak = kept[0]
        var total = 0.0
        for i in 0..<count { total += Double(fastExp(kept[i] - peak)) }
        var used = count
        if settings.topP < 1 {
            // transformers' FlaxTopPLogitsWarper: keep i while the mass before it is < p (at least one).
            var cumulative: Float = 0
            for i in 0..<count {
                if i > 0 && cumulative >= settings.topP {
                    used = i
                    break
                }
                cumulative += Float(Double(fastExp(kept[i] - peak)) / total)
            }
            total = 0
            for i in 0..<used { total += Double(fastExp(kept[i] - peak)) }
        }
        let target = Double(uniform) * total
        var running = 0.0
        for i in 0..<used {
            running += Double(fastExp(kept[i] - peak))
            if running > target { return Int(order[i]) }
        }
        return Int(order[used - 1])
    }

    /// Fills `order` with the k best ids by score (descending, lower id first on ties); returns k.
    private func selectTop(_ scores: UnsafePointer<Float>, k: Int) -> Int {
        if k > 512 {
            var ids = Array(0..<Int32(classes))
            ids.sort { scores[Int($0)] > scores[Int($1)] || (scores[Int($0)] == scores[Int($1)] && $0 < $1) }
            for i in 0..<k { order[i] = ids[i] }
            return k
        }
        var count = 0
        for v in 0..<classes {
            let score = scores[v]
            if count == k && !(score > scores[Int(order[k - 1])]) { continue }
            var slot = min(count, k - 1)
            while slot > 0 && score > scores[Int(order[slot - 1])] {
                order[slot] = order[slot - 1]
                slot -= 1
            }
            order[slot] = Int32(v)
            count = min(count + 1, k)
        }
        return count
    }
}
