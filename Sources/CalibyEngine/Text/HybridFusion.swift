/// How a hybrid search (`search --vector ... --text ...`) makes one ranking of the two.
public enum HybridMethod: Sendable, Equatable {
    /// Reciprocal rank fusion: Σ 1 / (`HybridFusion.rrfK` + rank) over the lists holding a document.
    case rrf
    /// `vectorWeight` · vector + (1 − `vectorWeight`) · text, each min-max normalized over its list.
    case weighted(vectorWeight: Double)

    /// `rrf`, or a weight from 0 to 1 (the vector side's share).
    package init(parsing text: String) throws {
        if text.lowercased() == "rrf" {
            self = .rrf
        } else if let weight = Double(text), weight >= 0, weight <= 1 {
            self = .weighted(vectorWeight: weight)
        } else {
            throw CalibyError.invalidArgument("hybrid method '\(text)': expected rrf or a vector weight from 0 to 1, e.g. 0.7")
        }
    }
}

/// One document of a full-text search.
/// One result of a full-text search.
public struct TextHit: Sendable, Equatable {
    /// The id of the document's vector.
    public var id: UInt64
    /// BM25 (k1 1.2, b 0.75), larger is better.
    public var score: Double

    package init(id: UInt64, score: Double) {
        self.id = id
        self.score = score
    }
}

/// One document of a hybrid search, with what each side said of it (nil: not in that side's list).
public struct HybridHit: Sendable, Equatable {
    public var id: UInt64
    /// The fused score, larger is better: RRF's sum, or the weighted sum of normalized scores.
    public var score: Double
    /// The vector side's distance and 1-based rank.
    public var distance: Float?
    public var vectorRank: Int?
    /// The text side's BM25 score and 1-based rank.
    public var textScore: Double?
    public var textRank: Int?
}

/// Fusing a vector ranking and a text ranking (definitions in README's "Hybrid search").
package enum HybridFusion {
    /// RRF's constant, as in Cormack et al. (2009) and most search engines' defaults.
    package static let rrfK = 60.0

    /// How many candidates each side contributes: enough that a document ranked well by one side
    /// and modestly by the other is still seen by both.
    package static func candidates(k: Int) -> Int { max(k, 100) }

    /// `vector` nearest first and `text` best first, fused and cut to `k`; ties by id.
    package static func fuse(vector: [SearchHit], text: [TextHit], method: HybridMethod, k: Int) -> [HybridHit] {
        var hits: [UInt64: HybridHit] = [:]
        for (i, hit) in vector.enumerated() {
            hits[hit.id] = HybridHit(id: hit.id, score: 0, distance: hit.distance, vectorRank: i + 1)
        }
        for (i, hit) in text.enumerated() {
            hits[hit.id, default: HybridHit(id: hit.id, score: 0)].textScore = hit.score
            hits[hit.id]!.textRank = i + 1
        }
        switch method {
        case .rrf:
            for id in hits.keys {
                let hit = hits[id]!
                hits[id]!.score = [hit.vectorRank, hit.textRank].compactMap { $0 }.reduce(0) { $0 + 1 / (rrfK + Double($1)) }
            }
        case .weighted(let weight):
            // Distances: smaller is better, so the nearest maps to 1.
            let vectorScale = normalizer(vector.map { -Double($0.distance) })
            let textScale = normalizer(text.map(\.score))
            for id in hits.keys {
                let hit = hits[id]!
                let v = hit.distance.map { vectorScale(-Double($0)) } ?? 0
                let t = hit.textScore.map(textScale) ?? 0
                hits[id]!.score = weight * v + (1 - weight) * t
            }
        }
        let ranked = hits.values.sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
        return Array(ranked.prefix(k))
    }

    /// Maps the best of `scores` (higher is better) to 1 and the worst to 0; all equal: all 1.
    private static func normalizer(_ scores: [Double]) -> (Double) -> Double {
        guard let low = scores.min(), let high = scores.max(), high > low else { return { _ in 1 } }
        return { ($0 - low) / (high - low) }
    }
}

extension HybridHit {
    init(id: UInt64, score: Double, distance: Float? = nil, vectorRank: Int? = nil) {
        self.id = id
        self.score = score
        self.distance = distance
        self.vectorRank = vectorRank
    }
}
