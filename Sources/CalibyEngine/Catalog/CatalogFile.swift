import FoundationEssentials

/// The catalog file: 8-byte magic, 8-byte checksum of the rest, then JSON.
struct CatalogFile: Codable, Equatable {
    var format = 1
    var nextID: UInt32 = 1
    var indexes: [IndexInfo] = []
    /// Grows by one at every commit. The rollback journal names the generation it undoes, so a
    /// journal from another transaction is never applied (see Journal).
    var generation: UInt64 = 0

    init() {}

    /// Catalogs written before `generation` existed are generation 0.
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decode(Int.self, forKey: .format)
        nextID = try c.decode(UInt32.self, forKey: .nextID)
        indexes = try c.decode([IndexInfo].self, forKey: .indexes)
        generation = try c.decodeIfPresent(UInt64.self, forKey: .generation) ?? 0
    }

    private static let magic = Array("CLBCAT01".utf8)

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let json = Array(try encoder.encode(self))
        var sum = CatalogFile.checksum(json)
        var bytes = CatalogFile.magic
        withUnsafeBytes(of: &sum) { bytes.append(contentsOf: $0) }
        return bytes + json
    }

    static func decode(_ bytes: [UInt8], path: String) throws -> CatalogFile {
        guard bytes.count >= 16, Array(bytes[0..<8]) == magic else {
            throw CalibyError.corrupt(path: path, detail: "not a Caliby catalog")
        }
        let json = Array(bytes[16...])
        let stored = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self) }
        guard stored == checksum(json) else { throw CalibyError.corrupt(path: path, detail: "catalog checksum mismatch") }
        do {
            return try JSONDecoder().decode(CatalogFile.self, from: Data(json))
        } catch {
            throw CalibyError.corrupt(path: path, detail: "catalog unreadable: \(error)")
        }
    }

    private static func checksum(_ bytes: [UInt8]) -> UInt64 {
        let padded = bytes + [UInt8](repeating: 0, count: (8 - bytes.count % 8) % 8)
        return padded.withUnsafeBytes { PageTrailer.checksum($0.baseAddress!, count: $0.count) } ^ UInt64(bytes.count)
    }
}
