/// A batch of decoded records, stored flat for speed.
package struct VectorBatch {
    package var dimensions: Int
    /// count * dimensions values, record after record.
    package var vectors: [Float] = []
    /// Explicit id per record, nil when the input has none.
    package var ids: [UInt64?] = []
    /// Per record, empty when none.
    package var labels: [[UInt32]] = []
    /// Per record when the reader has fields (`VectorReaderOptions.schema`), else empty.
    package var documents: [Document] = []
    /// 1-based number of the batch's first record in the input.
    package var firstRecordNumber = 1
    package var count: Int { ids.count }

    package init(dimensions: Int) { self.dimensions = dimensions }

    /// Keeps the storage so that refilling a batch in a loop does not reallocate.
    package mutating func removeAll() {
        vectors.removeAll(keepingCapacity: true)
        ids.removeAll(keepingCapacity: true)
        labels.removeAll(keepingCapacity: true)
        documents.removeAll(keepingCapacity: true)
    }
}

extension VectorBatch {
    /// The input vectors a load holds at once: a batch is at most this many bytes of float32
    /// vectors (and 50,000 records), so a load's memory is the buffer pool's plus this (twice it
    /// for a DiskANN cosine load, which normalizes a copy), however large its input. 16 MiB leaves
    /// half of README's pool + 64 MiB bound to the process itself (runtime, heap, scratch): with
    /// 64 MiB batches a 1M × 128 load through a 100 MiB pool peaked at 170 MiB, and a 384-d cosine
    /// load held 128 MiB of vectors.
    package static let loadBytes = 16 << 20

    /// How many records a load should read and insert at a time (see `loadBytes`). An empty DiskANN
    /// index builds its first batch with two-pass Vamana and takes the rest with FreshDiskANN's
    /// inserts: on 20k real MiniLM embeddings, batches of 4,400 gave the recall of one whole-input
    /// build at L 20, 50 and 100 (within ±0.002), built in 0.82× the time and half the peak memory.
    package static func loadRecords(dimensions: Int) -> Int { max(1, min(50_000, loadBytes / (4 * max(1, dimensions)))) }

    /// Explicit ids as given; missing ones continue from `next` (one past the largest id so far),
    /// in input order. Advances `next` past every id of the batch.
    func assignIDs(next: inout UInt64, index: String) throws -> [UInt64] {
        var ids: [UInt64] = []
        ids.reserveCapacity(count)
        for (i, id) in self.ids.enumerated() {
            if let id {
                if id == UInt64.max {
                    throw CalibyError.badInput(location: "record \(firstRecordNumber + i)", message: "id \(id) is reserved")
                }
                ids.append(id)
                next = max(next, id + 1)
            } else {
                guard next < UInt64.max else { throw CalibyError.capacity(index: index, detail: "automatic ids exhausted") }
                ids.append(next)
                next += 1
            }
        }
        return ids
    }
}
