import ArgumentParser
import CalibyEngine

struct UpdateCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Change fields of stored documents without touching their vectors.",
        discussion: """
            Each --set reads its value by the field's type: an integer, a number, true or false, \
            a string as given, or a JSON array ('["a","b"]', '[1,2]'). --unset removes a value. \
            All ids change in one transaction, or none does.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Index name.", completion: .indexName)
    var name: String

    @Argument(parsing: .allUnrecognized, help: "Ids of the documents to change.")
    var ids: [String] = []

    @Option(name: .customLong("set"), help: ArgumentHelp("field=value (repeat for more).", valueName: "field=value"))
    var assignments: [String] = []

    @Option(name: .customLong("unset"), help: ArgumentHelp("A field whose value to remove (repeat for more).", valueName: "field"))
    var removals: [String] = []

    var access: AccessMode { .readWrite }

    func validate() throws {
        _ = try idArguments(ids)
        if ids.isEmpty { throw ValidationError("give the ids of the documents to change") }
        if assignments.isEmpty && removals.isEmpty { throw ValidationError("give --set field=value or --unset field") }
    }

    func execute(in session: Session) throws {
        let collection = try session.database.collection(named: name)
        var changes = try assignments.map { try parseAssignment($0, schema: collection.schema) }
        for field in removals {
            guard collection.schema.position(of: field) != nil else { throw CalibyError.invalidArgument("--unset: " + collection.unknownFieldMessage(field)) }
            changes.append((field, nil))
        }
        let ids = try idArguments(self.ids)
        for id in ids { try collection.update(id: id, set: changes) }
        Terminal.note("updated \(counted(ids.count, "document")) in '\(name)'")
    }
}
