import ArgumentParser
import CalibyEngine

struct DeleteCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete vectors with their documents: they never appear in results again.",
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
        _ = try idArguments(ids)
        if ids.isEmpty && idsFile == nil { throw ValidationError("give ids to delete, or --ids-file FILE") }
    }

    func execute(in session: Session) throws {
        let all = try idArguments(ids) + (idsFile.map { try readIDList($0) } ?? [])
        let deleted = try session.database.collection(named: name).delete(ids: all)
        Terminal.note("deleted \(deleted) of \(all.count) ids from '\(name)'")
    }
}
