import ArgumentParser
import CalibyEngine

struct DeleteCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Mark vectors deleted: they never appear in results again.",
        discussion: """
            In a DiskANN index deleted vectors keep their slots until a consolidation (see \
            caliby consolidate), which delete runs by itself once more than \
            \(Int(DiskANNIndex.autoConsolidateFraction * 100))% of the index's vectors are deleted.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Index name.", completion: .indexName)
    var name: String

    // Collected as words: argument-parser would take "-3" for an unknown option and never show it
    // to the id check, whose message says what is wrong with it.
    @Argument(parsing: .allUnrecognized, help: "Ids to delete.")
    var ids: [String] = []

    @Option(name: .long, help: "A file of ids, one per line.")
    var idsFile: String?

    var access: AccessMode { .readWrite }

    func validate() throws {
        _ = try idValues()
        if ids.isEmpty && idsFile == nil { throw ValidationError("give ids to delete, or --ids-file FILE") }
    }

    /// The ids given as arguments. Every word argument-parser did not recognize lands here, so a
    /// word that is an option, not a number, is reported as the unknown option it is.
    private func idValues() throws -> [UInt64] {
        try ids.map { word in
            if let id = UInt64(word), word.allSatisfy({ $0.isASCII && $0.isNumber }) { return id }
            if word.hasPrefix("-"), let next = word.dropFirst().first, !next.isNumber, next != "." {
                throw ValidationError("unknown option '\(word)'")
            }
            throw ValidationError("id '\(word)' is not an unsigned 64-bit integer")
        }
    }

    func execute(in session: Session) throws {
        let all = try idValues() + (idsFile.map { try readIDList($0) } ?? [])
        let index = try session.database.index(named: name)
        let deleted = try index.delete(ids: all)
        Terminal.note("deleted \(deleted) of \(all.count) ids from '\(name)'")
    }
}
