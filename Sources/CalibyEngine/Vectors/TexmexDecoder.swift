import Glibc

/// Record framing shared by .fvecs, .bvecs and .ivecs: little-endian int32 count, then count elements.
final class TexmexRecords {
    let input: InputBuffer
    let elementSize: Int
    private var recordNumber = 0

    init(input: InputBuffer, elementSize: Int) {
        self.input = input
        self.elementSize = elementSize
    }

    func error(_ message: String) -> CalibyError {
        .badInput(location: "\(input.displayName): record \(recordNumber)", message: message)
    }

    /// The next record's element count and payload (valid until the next call); nil at end of input.
    /// `validate` vets the count before the payload is buffered, so a garbage header fails fast
    /// instead of making us buffer gigabytes.
    func next(validate: (Int) -> String?) throws -> (count: Int, payload: UnsafeRawPointer)? {
        guard try input.fill(atLeast: 4) > 0 else { return nil }
        recordNumber += 1
        try require(4)
        let count = Int(Int32(littleEndian: input.front.loadUnaligned(as: Int32.self)))
        if let problem = validate(count) { throw error(problem) }
        let size = 4 + count * elementSize
        try require(size)
        let payload = input.front + 4
        input.consume(size)
        return (count, payload)
    }

    private func require(_ size: Int) throws {
        let found = try input.fill(atLeast: size)
        if found < size { throw error("truncated record (expected \(size) bytes, found \(found))") }
    }
}

/// .fvecs (float32 elements) and .bvecs (bytes) records as vectors.
final class BinaryDecoder: RecordDecoder {
    enum Element: Int { case float32 = 4, uint8 = 1 }

    private let records: TexmexRecords
    private let element: Element

    init(input: InputBuffer, element: Element) {
        records = TexmexRecords(input: input, elementSize: element.rawValue)
        self.element = element
    }

    func decodeRecord(into batch: inout VectorBatch, dimensions: inout DimensionRule) throws -> Bool {
        guard let record = try records.next(validate: { dimensions.check($0) }) else { return false }
        let base = batch.vectors.count
        batch.vectors.append(contentsOf: repeatElement(0, count: record.count))
        let bad: Int? = batch.vectors.withUnsafeMutableBufferPointer { all in
            let values = UnsafeMutableBufferPointer(rebasing: all[base...])
            switch element {
            case .uint8:
                for i in values.indices { values[i] = Float(record.payload.load(fromByteOffset: i, as: UInt8.self)) }
                return nil
            case .float32:
                // The payload may sit at any alignment, hence a byte copy rather than a typed load;
                // Linux hosts are little-endian, so the bytes need no swapping.
                memcpy(values.baseAddress!, record.payload, record.count * 4)
                return firstNonFinite(UnsafeBufferPointer(values))
            }
        }
        if let bad {
            throw records.error(notFiniteMessage("component \(bad + 1)", "\(batch.vectors[base + bad])"))
        }
        batch.ids.append(nil)
        batch.labels.append([])
        return true
    }
}

/// Reads a TEXMEX .ivecs file (ground truth): each record an int32 count, then count int32s.
package func readIvecs(path: String) throws -> [[Int32]] {
    let records = TexmexRecords(input: try InputBuffer(path: path, capacity: InputBuffer.defaultCapacity), elementSize: 4)
    let counts = 0...DimensionRule.range.upperBound
    var rows: [[Int32]] = []
    while let record = try records.next(validate: { counts.contains($0) ? nil : "count \($0) is out of range (\(counts))" }) {
        rows.append((0..<record.count).map {
            Int32(littleEndian: record.payload.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))
        })
    }
    return rows
}
