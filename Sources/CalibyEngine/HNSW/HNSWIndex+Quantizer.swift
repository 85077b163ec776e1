/// The int8 quantizer of an index with `--quantization int8`: learned from the first insert, and
/// learned again while the index is young.
///
/// A quantizer learned from a handful of vectors knows only their range: learned from one vector,
/// it codes every other as 0, and a search by codes found 0.5 % of the true neighbours (a REPL
/// user's first insert is often one vector). So until it has learned from
/// `ScalarQuantizer.sampleSize` vectors, an insert that brings the index to at least twice the
/// vectors it learned from learns it again, from the index's vectors and the batch's, and re-codes
/// every node. Doubling bounds the re-coding: each node is re-coded at most about log2(sampleSize)
/// times, and no re-coding ever touches more than 2 × sampleSize nodes. The graph needs no repair:
/// the codes only find candidates, and links are chosen by the vectors.
extension HNSWIndex {
    /// The quantizer the batch's codes are made with (nil without quantization).
    func quantizerForInsert(_ batch: VectorBatch) throws -> ScalarQuantizer? {
        guard layout.quantization == .int8 else { return nil }
        let (current, learnedFrom, nodes) = entryMutex.withLock { (quantizer, header.quantizerLearnedFrom, header.nodeCount) }
        let vectors = nodes + batch.count
        if let current, !Self.relearns(learnedFrom: learnedFrom, vectors: vectors) { return current }
        let learned = try learnQuantizer(nodes: nodes, batch: batch)
        try learned.floats.withUnsafeBufferPointer { try space.writeFloats($0, from: 1) }
        try recode(nodes: nodes, with: learned)
        entryMutex.withLock {
            quantizer = learned
            header.quantizerTrained = true
            header.quantizerLearnedFrom = min(vectors, ScalarQuantizer.sampleSize)
        }
        return learned
    }

    /// Whether a quantizer learned when the index held `learnedFrom` vectors (0: an index written
    /// before that was kept, never learned again) is learned again for `vectors`.
    static func relearns(learnedFrom: Int, vectors: Int) -> Bool {
        learnedFrom > 0 && learnedFrom < ScalarQuantizer.sampleSize && vectors >= 2 * learnedFrom
    }

    /// Learns from a sample of the `nodes` vectors in the index followed by the batch's (as
    /// stored: normalized for cosine, rounded to the precision).
    private func learnQuantizer(nodes: Int, batch: VectorBatch) throws -> ScalarQuantizer {
        let chosen = Array(ScalarQuantizer.trainingSample(count: nodes + batch.count))
        var sample = [Float](repeating: 0, count: chosen.count * dimensions)
        try scratch.with { scratch in
            try batch.vectors.withUnsafeBufferPointer { vectors in
                try sample.withUnsafeMutableBufferPointer { sample in
                    for (slot, i) in chosen.enumerated() {
                        let destination = sample.baseAddress! + slot * dimensions
                        if i < nodes {
                            try copyVector(of: i, into: destination)
                        } else {
                            destination.update(from: preparedForStorage(vectors.baseAddress! + (i - nodes) * dimensions, scratch: scratch),
                                               count: dimensions)
                        }
                    }
                }
            }
        }
        return sample.withUnsafeBufferPointer { ScalarQuantizer(training: $0.baseAddress!, count: chosen.count, dimensions: dimensions) }
    }

    /// Rewrites the codes of nodes 0..<nodes, deleted ones too: searches still walk through them.
    private func recode(nodes: Int, with quantizer: ScalarQuantizer) throws {
        guard nodes > 0 else { return }
        try scratch.with { scratch in
            let vector = scratch.query
            for node in 0..<nodes {
                let (page, offset) = layout.records.locate(node)
                try space.write(page) { p in
                    stored.decode(p + offset + layout.vectorOffset, into: vector)
                    quantizer.encode(vector, into: p + offset + layout.codeOffset)
                }
            }
        }
    }
}
