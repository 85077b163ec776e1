import ArgumentParser
import CalibyEngine

struct VacuumCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "vacuum",
        abstract: "Rebuild indexes compactly after many deletes, so their files shrink.",
        discussion: """
            Each index is rebuilt from its live vectors, ids, labels and documents into new files \
            (a fresh graph, so recall is that of a new build), which replace the old ones when the \
            command commits; a crash leaves the indexes as they were. The live vectors are read \
            back a load's batch at a time (at most 16 MiB of them), so the memory is an insert's \
            plus 8 bytes per live vector for the list of them; the new files need free space \
            until the old ones are removed. The new files are in the newest format for the index's parameters, so \
            an index created by an older caliby (HNSW format 2, DiskANN format 2) comes out as \
            format 3. Without a name, every index is vacuumed, one transaction for all.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Index name (default: every index).", completion: .indexName)
    var name: String?

    @OptionGroup var threads: AllCoresThreads

    var access: AccessMode { .readWrite }

    func execute(in session: Session) throws {
        let names = try name.map { [try session.database.info(named: $0).name] } ?? session.database.listIndexes().map(\.name)
        for name in names {
            try session.database.vacuumIndex(name, threads: threads.count)
            Terminal.note("vacuumed '\(name)'")
        }
    }
}
