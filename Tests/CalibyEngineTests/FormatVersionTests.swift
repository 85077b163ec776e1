import Foundation
import XCTest
@testable import CalibyEngine

/// Every file kind's version (FileFormat): the current one reads, a newer one is refused by name
/// with both versions, and a magic of another kind is damage, not a version.
final class FormatVersionTests: XCTestCase {
    func testMagicsCarryTheirKindAndVersion() throws {
        XCTAssertEqual(FileFormat.hnsw.current, 3)
        XCTAssertEqual(FileFormat.diskann.current, 3)
        XCTAssertEqual(FileFormat.journal.current, 2)
        for format in FileFormat.pageFiles + [.journal] {
            XCTAssertEqual(format.version(of: format.magic), format.current, format.kind)
            XCTAssertEqual(try format.accept(format.magic, path: "f"), format.current, format.kind)
            let newer = format.magic & 0x00FF_FFFF_FFFF_FFFF | UInt64(0x30 + format.current + 1) << 56
            XCTAssertThrowsError(try format.accept(newer, path: "f")) { error in
                XCTAssertEqual("\(error)", "f was written by a newer caliby (\(format.kind) format \(format.current + 1); this caliby reads up to \(format.current))")
                XCTAssertEqual((error as? CalibyError)?.category, .newerFormat)
            }
            // No other kind's magic, and no non-digit, reads as a version of this one.
            for other in FileFormat.pageFiles + [.journal] where other.kind != format.kind {
                XCTAssertNil(format.version(of: other.magic), "\(format.kind) / \(other.kind)")
            }
            XCTAssertNil(format.version(of: format.magic & 0x00FF_FFFF_FFFF_FFFF | UInt64(UInt8(ascii: "x")) << 56))
        }
    }

    /// A hot journal a newer caliby left is neither applied nor called damaged: the directory stays
    /// as it is until that caliby recovers it.
    func testAJournalOfANewerFormatIsRefusedAndLeftInPlace() throws {
        let dir = temporaryDirectory(self)
        try Caliby.initialize(dir)
        var header = [UInt8](repeating: 0, count: 512)
        let magic = FileFormat.journal.magic & 0x00FF_FFFF_FFFF_FFFF | UInt64(UInt8(ascii: "3")) << 56
        withUnsafeBytes(of: magic) { header.replaceSubrange(0..<8, with: $0) }
        let path = dir + "/" + Journal.fileName
        try Data(header).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try openDatabase(dir)) { error in
            XCTAssertEqual("\(error)", "\(path) was written by a newer caliby (journal format 3; this caliby reads up to 2)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data(header))
    }
}
