import ArgumentParser
import CalibyEngine

struct AlterCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "alter",
        abstract: "Add fields to an index's documents.",
        discussion: """
            Existing documents have no value for a new field (a filter on it is not true for them, \
            and IS NULL is). A field cannot be required while the index holds documents. An index \
            created without fields gets its document file here, with an empty document per vector.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Index name.", completion: .indexName)
    var name: String

    @Option(name: .customLong("add-field"), help: ArgumentHelp("A field to add, name:type (repeat for more).", valueName: "name:type"))
    var additions: [String] = []

    var access: AccessMode { .readWrite }

    func validate() throws {
        if additions.isEmpty { throw ValidationError("give --add-field name:type") }
    }

    func execute(in session: Session) throws {
        let collection = try session.database.collection(named: name)
        for spec in additions { try collection.addField(Field(parsing: spec)) }
    }
}
