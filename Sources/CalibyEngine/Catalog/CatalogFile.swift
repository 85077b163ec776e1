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

    /// Only the version, which every catalog format must keep where it is.
    private struct Version: Decodable { var format: Int }

    /// Stays as it is across versions; the version is `format`.
    private static let magic = Array("CLBCAT01".utf8)
    /// The only format this build reads and writes (see FileFormat).
    package static let currentFormat = 1
    /// Bounds on what a catalog may ask the storage layer to map. The largest page a layout makes is
    /// 512 KiB (a record of 65536 float32 dimensions) and the largest index under 2^28 pages, so
    /// these only catch damage, keep pageSize · capacityPages far from overflowing, and keep page
    /// numbers within the 32 bits the page trailer and a transaction's list of pages hold.
    static let maxPageSize = 1 << 20
    static let maxCapacityPages = 1 << 32

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return CatalogFile.framed(json: Array(try encoder.encode(self)))
    }

    /// Magic, checksum and `json`: the bytes of a catalog file.
    static func framed(json: [UInt8]) -> [UInt8] {
        var sum = checksum(json)
        var bytes = magic
        withUnsafeBytes(of: &sum) { bytes.append(contentsOf: $0) }
        return bytes + json
    }

    /// Reads a catalog and checks every value in it (see `problems`); damage is `corrupt` naming
    /// the file and the fields.
    static func decode(_ bytes: [UInt8], path: String) throws -> CatalogFile {
        guard bytes.count >= 8, Array(bytes[0..<8]) == magic else {
            throw CalibyError.corrupt(path: path, detail: "not a Caliby catalog")
        }
        guard bytes.count > 16 else { throw CalibyError.corrupt(path: path, detail: "catalog is truncated at \(bytes.count) bytes") }
        let json = Array(bytes[16...])
        let stored = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self) }
        guard stored == checksum(json) else { throw CalibyError.corrupt(path: path, detail: "catalog checksum mismatch") }
        // The version first: a newer catalog may not decode as this one, and must not read as damage.
        if let declared = try? JSONDecoder().decode(Version.self, from: Data(json)), declared.format > currentFormat {
            throw CalibyError.newerFormat(path: path, kind: "catalog", found: declared.format, supported: currentFormat)
        }
        let catalog: CatalogFile
        do {
            catalog = try JSONDecoder().decode(CatalogFile.self, from: Data(json))
        } catch let error as DecodingError {
            throw CalibyError.corrupt(path: path, detail: "catalog unreadable: \(describe(error))")
        } catch {
            throw CalibyError.corrupt(path: path, detail: "catalog unreadable: \(error)")
        }
        let problems = catalog.problems()
        if !problems.isEmpty { throw CalibyError.corrupt(path: path, detail: problems.joined(separator: "; ")) }
        return catalog
    }

    /// Everything wrong with a decoded catalog, each naming the entry and field. Page size and
    /// count are checked for range only: whether they are what the index type's layout gives is
    /// checked where the index is opened (`Database.index(named:)`), before its file is mapped, so
    /// the catalog needs no knowledge of the layouts.
    func problems() -> [String] {
        guard format == CatalogFile.currentFormat else {
            return ["catalog format \(format) is not one caliby ever wrote (this caliby reads format \(CatalogFile.currentFormat))"]
        }
        var found: [String] = []
        if nextID == 0 || nextID > IndexInfo.documentFileBit {
            found.append("nextID = \(nextID), must be between 1 and \(IndexInfo.documentFileBit)")
        }
        var idOwner: [UInt32: Int] = [:], nameOwner: [String: Int] = [:]
        for (i, entry) in indexes.enumerated() {
            // An invalid name is shown by position and reason only: it may hold control characters.
            var invalidName: String?
            do { try IndexName.validate(entry.name) } catch CalibyError.invalidName(_, let reason) {
                invalidName = reason
            } catch { invalidName = "\(error)" }
            let tag = invalidName == nil ? "index '\(entry.name)'" : "indexes[\(i)]"
            func report(_ problem: String) { found.append("\(tag): \(problem)") }
            if let invalidName { report("name is invalid: \(invalidName)") }
            if let other = nameOwner.updateValue(i, forKey: entry.name) { report("name is also the name of indexes[\(other)]") }
            if entry.id == 0 { report("id = 0, must be at least 1") }
            // A create takes nextID for its file, opened with O_EXCL; an id at or past it would
            // make a live index's file the next create's.
            if entry.id >= nextID { report("id = \(entry.id) is not below nextID = \(nextID)") }
            if let other = idOwner.updateValue(i, forKey: entry.id) { report("id = \(entry.id) is also the id of indexes[\(other)]") }
            // A missing section means the defaults (the layout check where the index is opened
            // catches defaults the file was not made with); the other type's is never written.
            let config = entry.config
            if entry.type == .hnsw && config.diskann != nil { report("a hnsw index has diskann parameters") }
            if entry.type == .diskann && config.hnsw != nil { report("a diskann index has hnsw parameters") }
            for problem in config.problems() { report(problem.catalogMessage) }
            let pageSizes = 4096...CatalogFile.maxPageSize
            if !pageSizes.contains(entry.pageSize) || entry.pageSize & (entry.pageSize - 1) != 0 {
                report("pageSize = \(entry.pageSize), must be a power of two between \(pageSizes.lowerBound) and \(pageSizes.upperBound)")
            }
            if !(1...CatalogFile.maxCapacityPages).contains(entry.capacityPages) {
                report("capacityPages = \(entry.capacityPages), must be between 1 and \(CatalogFile.maxCapacityPages)")
            }
        }
        return found
    }

    /// A decoding failure as the field it concerns ("indexes[0].config.M") and what was wrong.
    private static func describe(_ error: DecodingError) -> String {
        func field(_ path: [CodingKey], _ key: CodingKey? = nil) -> String {
            let parts = (path + (key.map { [$0] } ?? [])).map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }
            let joined = parts.joined()
            return joined.hasPrefix(".") ? String(joined.dropFirst()) : joined.isEmpty ? "the top level" : joined
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "field \(field(context.codingPath, key)) is missing"
        case .typeMismatch(let type, let context):
            return "field \(field(context.codingPath)) is not a valid \(type)"
        case .valueNotFound(let type, let context):
            return "field \(field(context.codingPath)) is null, expected \(type)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON"
                : "field \(field(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    static func checksum(_ bytes: [UInt8]) -> UInt64 {
        let padded = bytes + [UInt8](repeating: 0, count: (8 - bytes.count % 8) % 8)
        return padded.withUnsafeBytes { PageTrailer.checksum($0.baseAddress!, count: $0.count) } ^ UInt64(bytes.count)
    }
}
