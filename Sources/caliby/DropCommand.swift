import ArgumentParser
import CalibyEngine

struct DropCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "drop",
        abstract: "Remove an index and its file.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Index name.", completion: .indexName)
    var name: String

    var access: AccessMode { .readWrite }

    func execute(in session: Session) throws {
        try session.database.dropIndex(named: name)
    }
}
