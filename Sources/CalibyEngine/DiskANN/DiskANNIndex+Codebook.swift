/// The PQ codebook: trained once, by the rule on the type's comment; stored in and loaded from its
/// pages.
extension DiskANNIndex {
    /// Applies the codebook rule (see the type's comment): trains when due, then encodes every used
    /// slot — deleted points are still walked through — and stores the codebook. Searches keep to
    /// exact distances until the codebook is published, after every code is written.
    func trainCodebookIfDue(threads: Int) throws {
        guard layout.pqBytes > 0 else { return }
        let (due, nodeCount) = headerMutex.withLock {
            (codebook == nil && header.liveCount >= DiskANNIndex.pqTrainingMinimum, header.nodeCount)
        }
        guard due else { return }
        var live: [Int] = []
        for node in 0..<nodeCount where try state(of: node) == .live { live.append(node) }
        let n = min(live.count, DiskANNIndex.pqTrainingSample)
        var sample = [Float](repeating: 0, count: n * dimensions)
        try sample.withUnsafeMutableBufferPointer { v in
            for i in 0..<n { _ = try copyVector(of: live[i * live.count / n], into: v.baseAddress! + i * dimensions) }
        }
        let book = PQCodebook(dimensions: dimensions, subspaces: layout.pqBytes)
        try sample.withUnsafeBufferPointer { try book.train(sample: $0.baseAddress!, count: n, threads: threads) }
        let perPage = layout.codesPerPage, m = layout.pqBytes
        try parallelFor((nodeCount + perPage - 1) / perPage, threads: threads) { _, p in
            let first = p * perPage, last = min(nodeCount, first + perPage)
            var codes = [UInt8](repeating: 0, count: (last - first) * m)
            try codes.withUnsafeMutableBufferPointer { c in
                for node in first..<last {
                    try withRecord(node) { r in if r.state != .free { book.encode(r.vector, into: c.baseAddress! + (node - first) * m) } }
                }
            }
            try space.write(layout.codeBase + p) { $0.copyMemory(from: codes, byteCount: codes.count) }
        }
        try storeCodebook(book)
        headerMutex.withLock {
            codebook = book
            header.pqTrained = true
        }
    }

    private func storeCodebook(_ book: PQCodebook) throws {
        try space.writeFloats(UnsafeBufferPointer(start: book.coordinates, count: book.floatCount), from: layout.codebookBase)
    }

    static func loadCodebook(space: PageSpace, layout: DiskANNLayout) throws -> PQCodebook {
        let book = PQCodebook(dimensions: layout.dimensions, subspaces: layout.pqBytes)
        try space.readFloats(into: UnsafeMutableBufferPointer(start: book.coordinates, count: book.floatCount), from: layout.codebookBase)
        guard UnsafeBufferPointer(start: book.coordinates, count: book.floatCount).allSatisfy(\.isFinite) else {
            throw CalibyError.corrupt(path: space.path, detail: "the PQ codebook holds a value that is not finite")
        }
        return book
    }
}
