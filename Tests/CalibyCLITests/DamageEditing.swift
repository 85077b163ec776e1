import Foundation
@testable import CalibyEngine

/// Changes page `page` of a file and recomputes its trailer.
func patchPage(_ path: String, page: Int, pageSize: Int = 4096, _ change: (UnsafeMutableRawPointer) -> Void) throws {
    var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    bytes.withUnsafeMutableBytes { raw in
        change(raw.baseAddress! + page * pageSize)
        PageTrailer.stamp(raw.baseAddress! + page * pageSize, pageSize: pageSize, pageNumber: page)
    }
    try bytes.write(to: URL(fileURLWithPath: path))
}

/// Rewrites the catalog's JSON with `change` and a valid checksum.
func patchCatalog(_ dir: String, _ change: (inout [String: Any]) -> Void) throws {
    let path = dir + "/caliby_catalog"
    var json = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: path)).dropFirst(16)) as! [String: Any]
    change(&json)
    try Data(CatalogFile.framed(json: Array(try JSONSerialization.data(withJSONObject: json, options: .sortedKeys))))
        .write(to: URL(fileURLWithPath: path))
}
