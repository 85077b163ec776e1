import ArgumentParser
import CalibyEngine

struct ResizeCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "resize",
        abstract: "Grow an index's capacity (--max-elements) without rebuilding it.",
        discussion: """
            The index's file is copied into a larger one, graph as it is, which replaces it when the \
            command commits; a crash leaves the index as it was before or after, never between. The \
            copy needs free space for the index's used pages and its larger id map until the old \
            file is removed. An index only grows: to make room within its capacity, delete vectors \
            (an HNSW index reuses deleted slots once its fresh ones are used; a DiskANN index after \
            caliby consolidate, which insert runs when it needs the room). An index's documents are \
            rewritten into a new document file at the same time (its directory grows with the \
            capacity), with their field and text indexes.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Index name.", completion: .indexName)
    var name: String

    @Option(name: .customLong("max-elements"), help: "The new capacity: more than the current one.")
    var maxElements: Int

    var access: AccessMode { .readWrite }

    func validate() throws {
        try requireAtLeastOne(maxElements, "--max-elements")
    }

    func execute(in session: Session) throws {
        let old = try session.database.info(named: name).config.maxElements
        try session.database.resizeIndex(name, maxElements: maxElements)
        Terminal.note("resized '\(name)' from \(old) to \(maxElements) elements")
    }
}
