import ArgumentParser
import CalibyEngine

struct ConsolidateCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "consolidate",
        abstract: "Take deleted vectors out of a DiskANN graph and free their slots for new vectors.",
        discussion: """
            Deleted vectors stay in the graph, walked through by searches, until a consolidation \
            reconnects their neighbours around them. caliby delete and caliby insert --replace (whose \
            replaced vectors count as deleted) consolidate by themselves once more than \
            \(Int(DiskANNIndex.autoConsolidateFraction * 100))% of an index's vectors are deleted, and \
            caliby insert does when only the deleted vectors' slots would make room for its input.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Index name.", completion: .indexName)
    var name: String

    @OptionGroup var threads: AllCoresThreads

    var access: AccessMode { .readWrite }

    func execute(in session: Session) throws {
        let index = try session.database.index(named: name)
        guard let consolidating = index as? Consolidating else {
            throw CalibyError.invalidArgument("'\(name)' is an \(index.info.type.rawValue) index, whose deletes need no consolidation")
        }
        let freed = try consolidating.consolidate(threads: threads.count)
        Terminal.note("freed \(freed) slots in '\(name)'")
    }
}
