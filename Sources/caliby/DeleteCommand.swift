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

    @Argument(help: "Ids to delete.")
    var ids: [UInt64] = []

    @Option(name: .long, help: "A file of ids, one per line.")
    var idsFile: String?

    var access: AccessMode { .readWrite }

    func validate() throws {
        if ids.isEmpty && idsFile == nil { throw ValidationError("give ids to delete, or --ids-file FILE") }
    }

    func execute(in session: Session) throws {
        let all = try ids + (idsFile.map { try readIDList($0) } ?? [])
        let index = try session.database.index(named: name)
        let deleted = try index.delete(ids: all)
        Terminal.note("deleted \(deleted) of \(all.count) ids from '\(name)'")
    }
}
