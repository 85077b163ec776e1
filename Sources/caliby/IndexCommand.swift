import ArgumentParser
import CalibyEngine

struct IndexCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Build secondary indexes on fields, so filters on them read only what matches.",
        discussion: """
            A B+tree of the field's values (each element of an array) in the index's document file, \
            kept current by every insert, update and delete. A filter whose AND-ed conditions \
            restrict an indexed field reads the documents in that range only; without one, every \
            document is read. A text field created with :noindex is added to the full-text index \
            instead (search --text), and every document is re-indexed.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Index name.", completion: .indexName)
    var name: String

    @Argument(help: "Fields to index.")
    var fields: [String] = []

    var access: AccessMode { .readWrite }

    func validate() throws {
        if fields.isEmpty { throw ValidationError("give the fields to index") }
    }

    func execute(in session: Session) throws {
        let collection = try session.database.collection(named: name)
        for field in fields { try collection.createFieldIndex(field) }
    }
}
