import ArgumentParser
import CalibyEngine

struct FlushCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "flush",
        abstract: "Commit every pending change (in the REPL); succeeds when nothing is pending.")

    @OptionGroup var global: GlobalOptions

    var access: AccessMode { .readWrite }

    func execute(in session: Session) throws {
        try session.database.flush()
    }
}
