/// The format version of every kind of file in a data directory, in one place.
///
/// Each page file's header and the journal's header begin with an 8-byte magic whose first seven
/// bytes name the kind and whose last byte is the format version as an ASCII digit ("CLBHNSW1"
/// is HNSW format 1), so files written before versions were spelled out read unchanged. The
/// catalog carries its version in its JSON `format` field. Page trailers ("CPG1") and text
/// segments have no version of their own: they belong to the file kind around them, and a change
/// to them bumps that kind's version (a change to the trailer, every page file's).
///
/// A reader meets three cases: its own version reads; a newer one is refused with `newerFormat`
/// (never misread as damage, never guessed at); an older one reads if its reader allows it, and
/// `caliby upgrade` rewrites it once a change needs that. Three kinds have more than one version:
/// the journal, whose format 1 is recognised only to say which caliby can recover it; HNSW, whose
/// format 2 adds int8 codes and format 3 puts those records on cache lines (an index without codes
/// is still written and read as format 1, so that older calibys keep reading it, and one created
/// with codes before format 3 stays format 2); and DiskANN, whose format 3 adds spare link room to
/// each record (an index created before it stays format 2). The catalog says which version each
/// file must be; `vacuum` rebuilds an index in the newest one for its parameters.
package struct FileFormat: Sendable {
    /// What the user is told the file is: "HNSW", "journal".
    package let kind: String
    /// The magic with its last byte cleared.
    let prefix: UInt64
    package let current: Int

    init(kind: String, magic: UInt64) {
        self.kind = kind
        prefix = magic & 0x00FF_FFFF_FFFF_FFFF
        current = Int(magic >> 56) - 0x30
    }

    /// The magic this build writes.
    var magic: UInt64 { magic(version: current) }

    /// The magic of an older version this build still writes where it suffices (HNSW without
    /// codes stays format 1 and with unaligned codes format 2, see HNSWLayout.formatVersion;
    /// DiskANN without spare links format 2).
    func magic(version: Int) -> UInt64 { prefix | UInt64(0x30 + version) << 56 }

    /// The version a magic of this kind carries, or nil when it is not this kind's magic at all.
    func version(of value: UInt64) -> Int? {
        let digit = Int(value >> 56)
        guard value & 0x00FF_FFFF_FFFF_FFFF == prefix, (0x30...0x39).contains(digit) else { return nil }
        return digit - 0x30
    }

    /// Accepts the current version; a newer one is `newerFormat`. Returns the version found, or
    /// nil when `value` is not this kind's magic (the caller reports that as damage).
    func accept(_ value: UInt64, path: String) throws -> Int? {
        guard let found = version(of: value) else { return nil }
        if found > current { throw CalibyError.newerFormat(path: path, kind: kind, found: found, supported: current) }
        return found
    }

    package static let hnsw = FileFormat(kind: "HNSW", magic: HNSWHeader.magic)
    package static let diskann = FileFormat(kind: "DiskANN", magic: DiskANNHeader.magic)
    package static let documents = FileFormat(kind: "document file", magic: DocumentHeader.magic)
    package static let text = FileFormat(kind: "text index", magic: TextRoot.magic)
    package static let journal = FileFormat(kind: "journal", magic: Journal.magic)

    /// Every kind with a magic, for `caliby upgrade`'s report.
    package static let pageFiles: [FileFormat] = [.hnsw, .diskann, .documents, .text]
}

extension HeaderFields {
    /// Field 0, the magic: this kind at `version` (by default the current one); a newer version
    /// than this build reads is `newerFormat`, any other mismatch damage.
    func expectFormat(_ format: FileFormat, version: Int? = nil) throws {
        guard try format.accept(raw(0), path: path) == version ?? format.current else {
            throw damage("header field \(names[0]) = \(raw(0)) is not the \(format.kind) magic")
        }
    }
}
