import ArgumentParser
import CalibyEngine

/// What a command runs against: the directory it opened itself (one command, one transaction), or
/// the REPL's long-lived one (commits on `flush` and at exit).
final class Session {
    let database: Database
    let interactive: Bool

    init(database: Database, interactive: Bool) {
        self.database = database
        self.interactive = interactive
    }
}

/// A subcommand that works on an open data directory. `run()` opens it with the access the command
/// needs, executes, commits, and closes; on any error nothing is committed.
protocol DatabaseCommand: ParsableCommand {
    var global: GlobalOptions { get }
    /// Read-only commands share the directory with other readers.
    var access: AccessMode { get }
    func execute(in session: Session) throws
}

extension DatabaseCommand {
    func run() throws { try runInDatabase() }

    func runInDatabase() throws {
        let database = try global.open(access)
        do {
            try execute(in: Session(database: database, interactive: false))
            try database.flush()
            try database.close()
        } catch {
            try? database.rollback()
            try? database.close()
            throw error
        }
    }
}
