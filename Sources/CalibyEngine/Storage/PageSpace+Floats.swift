/// Arrays of floats packed across consecutive pages, as many as a page's usable bytes hold: the
/// way small per-index tables (DiskANN's PQ codebook, HNSW's quantizer) live in an index file.
extension PageSpace {
    var floatsPerPage: Int { usableBytes / 4 }

    /// Writes `floats` into the pages from `firstPage` on (which exist: formatted at create).
    func writeFloats(_ floats: UnsafeBufferPointer<Float>, from firstPage: Int) throws {
        let perPage = floatsPerPage
        for first in stride(from: 0, to: floats.count, by: perPage) {
            let n = min(perPage, floats.count - first)
            try write(firstPage + first / perPage) { $0.copyMemory(from: floats.baseAddress! + first, byteCount: n * 4) }
        }
    }

    /// Reads `floats.count` floats from the pages from `firstPage` on.
    func readFloats(into floats: UnsafeMutableBufferPointer<Float>, from firstPage: Int) throws {
        let perPage = floatsPerPage
        for first in stride(from: 0, to: floats.count, by: perPage) {
            let n = min(perPage, floats.count - first)
            try read(firstPage + first / perPage) { UnsafeMutableRawPointer(floats.baseAddress! + first).copyMemory(from: $0, byteCount: n * 4) }
        }
    }
}
