import Foundation
import XCTest
@testable import CalibyEngine

/// A catalog is checksummed JSON, so damage with a valid checksum (a bug, a hand edit, a crafted
/// file) must be caught by what the values say: every field at adversarial values, entries
/// duplicated, keys missing, wrong types. Opening then works or fails with damage naming the
/// catalog; never a trap, and `create` never truncates a file that holds an index.
final class CatalogDamageTests: XCTestCase {
    /// A committed directory with an HNSW index (id 1) and a DiskANN index (id 2), as bytes.
    private struct Directory {
        var catalog: [UInt8]
        var files: [String: [UInt8]]

        var json: [String: Any] {
            try! JSONSerialization.jsonObject(with: Data(catalog[16...])) as! [String: Any]
        }

        func install(in dir: String, catalog: [UInt8]? = nil) throws {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
                try FileManager.default.removeItem(atPath: dir + "/" + name)
            }
            try Data(catalog ?? self.catalog).write(to: URL(fileURLWithPath: dir + "/caliby_catalog"))
            for (name, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name)) }
        }
    }

    private func makeDirectory() throws -> Directory {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        let db = try openDatabase(dir)
        let vectors = batch(clusteredVectors(count: 30, dimensions: 8, seed: 910), dimensions: 8)
        _ = try db.createIndex(name: "h", type: .hnsw, config: IndexConfig(dimensions: 8, maxElements: 50, hnsw: HNSWConfig(M: 8)))
            .insert(vectors, options: InsertOptions())
        _ = try db.createIndex(name: "d", type: .diskann, config: IndexConfig(dimensions: 8, maxElements: 50, diskann: DiskANNConfig(R: 8)))
            .insert(vectors, options: InsertOptions())
        try db.flush()
        try db.discardAndClose()
        let read = { (name: String) in Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))) }
        return Directory(catalog: try read("caliby_catalog"), files: ["index_1.dat": try read("index_1.dat"), "index_2.dat": try read("index_2.dat")])
    }

    private static func framed(_ json: Any) -> [UInt8] {
        CatalogFile.framed(json: Array(try! JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .fragmentsAllowed])))
    }

    private enum Step { case key(String), index(Int) }

    /// Every leaf of a JSON value, as a path of keys and positions.
    private static func leaves(_ value: Any, _ path: [Step] = []) -> [[Step]] {
        if let object = value as? [String: Any] { return object.keys.sorted().flatMap { leaves(object[$0]!, path + [.key($0)]) } }
        if let array = value as? [Any] { return array.indices.flatMap { leaves(array[$0], path + [.index($0)]) } }
        return [path]
    }

    /// `root` with the value at `path` replaced (nil: the key removed).
    private static func replacing(_ root: Any, at path: ArraySlice<Step>, with value: Any?) -> Any {
        guard let step = path.first else { return value as Any }
        switch step {
        case .key(let key):
            var object = root as! [String: Any]
            object[key] = path.count == 1 ? value : replacing(object[key]!, at: path.dropFirst(), with: value)
            return object
        case .index(let i):
            var array = root as! [Any]
            array[i] = replacing(array[i], at: path.dropFirst(), with: value)
            return array
        }
    }

    private static func describe(_ path: [Step]) -> String {
        path.map { if case .key(let k) = $0 { return "." + k } else if case .index(let i) = $0 { return "[\(i)]" }; return "" }.joined()
    }

    /// Opens a damaged directory and uses every index in it; returns the error of the open, if any.
    private func useDamaged(_ dir: String, _ label: String, original: Directory) -> CalibyError? {
        final class Result: @unchecked Sendable { var openError: CalibyError? }
        let result = Result()
        let finished = bounded {
            let db: Database
            do {
                db = try openDatabase(dir)
            } catch {
                // A format above this build's is a newer caliby's catalog, said as such (FileFormat).
                guard let error = error as? CalibyError,
                      error.category == .corrupt && "\(error)".hasPrefix("\(dir)/caliby_catalog: data is damaged: ")
                      || error.category == .newerFormat && "\(error)".hasPrefix("\(dir)/caliby_catalog was written by a newer caliby") else {
                    return XCTFail("\(label): open failed with \(error)")
                }
                result.openError = error
                return
            }
            defer { try? db.discardAndClose() }
            func expect(_ what: String, failing categories: [CalibyError.Category], _ body: () throws -> Void) {
                do {
                    try body()
                } catch {
                    if let error = error as? CalibyError, categories.contains(error.category) { return }
                    XCTFail("\(label): \(what) failed with \(error)")
                }
            }
            for info in db.listIndexes() {
                expect("using '\(info.name)'", failing: [.corrupt]) {
                    let index = try db.index(named: info.name)
                    _ = index.count
                    _ = try search(index, clusteredVectors(count: 1, dimensions: info.config.dimensions, seed: 911))
                }
                expect("checking '\(info.name)'", failing: []) { _ = try db.check(info) }
            }
            expect("create", failing: [.corrupt, .exists, .capacity]) {
                _ = try db.createIndex(name: "fresh", type: .hnsw, config: IndexConfig(dimensions: 4, maxElements: 10))
            }
        }
        guard finished else { return nil }
        for (name, bytes) in original.files {
            XCTAssertEqual(try? Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)), Data(bytes), "\(label): \(name) changed")
        }
        return result.openError
    }

    private static func value(at path: [Step], in root: Any) -> Any {
        path.reduce(root) { node, step in
            switch step {
            case .key(let k): return (node as! [String: Any])[k]!
            case .index(let i): return (node as! [Any])[i]
            }
        }
    }

    func testEveryCatalogFieldAtAdversarialValuesMissingAndMistyped() throws {
        let original = try makeDirectory()
        let dir = temporaryDirectory(self)
        let root = original.json
        let integers: [Int64] = [0, 1, -1, .min, .max, Int64(UInt32.max), Int64(UInt32.max) + 1, 1 << 53]
        let numbers: [Any] = integers + [0.5, 1e300]
        let strings: [Any] = ["", "x", "hnsw", "diskann", "ip", "float16", String(repeating: "n", count: 300), "a\u{7}b"]
        let wrongTypes: [Any] = ["7", [Any](), [String: Any](), NSNull(), true]
        var cases = 0
        for path in Self.leaves(root) {
            let field = Self.describe(path)
            let values = (Self.value(at: path, in: root) is String ? strings : numbers) + wrongTypes
            // nil: the key removed.
            for value in values.map(Optional.some) + [nil] {
                let label = "\(field) = \(value.map { "\($0)" } ?? "(missing)")"
                let framed = Self.framed(Self.replacing(root, at: path[...], with: value))
                // The same change under the old checksum: refused before anything is read.
                try original.install(in: dir, catalog: Array(original.catalog[0..<16] + framed[16...]))
                XCTAssertThrowsError(try openDatabase(dir)) { error in
                    XCTAssertEqual("\(error)", "\(dir)/caliby_catalog: data is damaged: catalog checksum mismatch", label)
                }
                try original.install(in: dir, catalog: framed)
                cases += 1
                let openError = useDamaged(dir, label, original: original)
                // Values no field may hold are refused at open (which names the catalog, see useDamaged).
                if let number = value as? Int64, number < 0, !field.hasSuffix(".createdAt") { XCTAssertNotNil(openError, label) }
                if field == ".format", value as? Int64 != 1 { XCTAssertNotNil(openError, label) }
            }
        }
        XCTAssertGreaterThan(cases, 300)
    }

    func testDuplicateAndMisnumberedEntriesAreRefusedNamingTheField() throws {
        let original = try makeDirectory()
        let dir = temporaryDirectory(self)
        let root = original.json
        let entries = root["indexes"] as! [[String: Any]]
        let hnsw = entries.first { $0["name"] as? String == "h" }!
        var renamed = hnsw, renumbered = hnsw
        renamed["name"] = "h2"
        renumbered["id"] = 7
        let cases: [(String, [String: Any], String)] = [
            ("the same entry twice", root.merging(["indexes": entries + [hnsw]]) { $1 }, "index 'h': name is also the name of indexes["),
            ("two names, one id", root.merging(["indexes": entries + [renamed]]) { $1 }, "index 'h2': id = 1 is also the id of indexes["),
            ("two ids, one name", root.merging(["indexes": entries + [renumbered], "nextID": 8]) { $1 }, "index 'h': name is also the name of"),
            ("nextID at a live id", root.merging(["nextID": 2]) { $1 }, "index 'd': id = 2 is not below nextID = 2"),
            ("nextID below every id", root.merging(["nextID": 1]) { $1 }, "index 'h': id = 1 is not below nextID = 1"),
            ("format 0", root.merging(["format": 0]) { $1 }, "catalog format 0 is not one caliby ever wrote (this caliby reads format 1)"),
            ("M 1", Self.replacing(root, at: [.key("indexes"), .index(entries.firstIndex { $0["name"] as? String == "h" }!),
                                             .key("config"), .key("hnsw"), .key("M")][...], with: 1) as! [String: Any],
             "index 'h': hnsw.M = 1, must be between 2 and 512"),
        ]
        for (label, json, expected) in cases {
            try original.install(in: dir, catalog: Self.framed(json))
            let error = useDamaged(dir, label, original: original)
            XCTAssertTrue(error.map { "\($0)".contains(expected) } ?? false, "\(label): \(String(describing: error))")
            XCTAssertEqual(error.map { "\($0)".split(separator: "\n").count }, 1, label)
        }
    }

    /// Any byte of the catalog changed without its checksum: refused whatever the change.
    func testChangesWithoutTheChecksumAreRefused() throws {
        let original = try makeDirectory()
        let dir = temporaryDirectory(self)
        var rng = SeededGenerator(seed: 912)
        for _ in 0..<fuzzIterations(default: 100) {
            var catalog = original.catalog
            let at = Int.random(in: 16..<catalog.count, using: &rng)
            catalog[at] ^= UInt8.random(in: 1...255, using: &rng)
            try original.install(in: dir, catalog: catalog)
            XCTAssertThrowsError(try openDatabase(dir)) { error in
                XCTAssertEqual("\(error)", "\(dir)/caliby_catalog: data is damaged: catalog checksum mismatch")
            }
        }
    }

    /// The issue's case: a next id at a live index's id made `create` truncate that index's file.
    /// Now the catalog is refused, and even a file that appears after the open is never truncated.
    func testCreateNeverTruncatesAFileThatHoldsAnIndex() throws {
        let original = try makeDirectory()
        let dir = temporaryDirectory(self)
        try original.install(in: dir)
        let db = try openDatabase(dir)
        // As if another writer had left a file under the next id after this one opened.
        let stray = dir + "/index_3.dat"
        try Data("not ours".utf8).write(to: URL(fileURLWithPath: stray))
        XCTAssertThrowsError(try db.createIndex(name: "fresh", type: .hnsw, config: IndexConfig(dimensions: 4, maxElements: 10))) { error in
            XCTAssertEqual("\(error)", "\(stray): data is damaged: file exists already, though the catalog names no index with id 3")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: stray)), Data("not ours".utf8))
        try db.discardAndClose()
    }
}
