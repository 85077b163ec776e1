import ArgumentParser
import CalibyEngine

struct RecoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Finish recovery after a crash, or set aside a journal that recovery refuses.",
        discussion: """
            Every command rolls back an unfinished transaction by itself when it opens the directory; \
            this one does only that and says what it found. A hot journal that is damaged (truncated, \
            overwritten) or stale (from another transaction) is never applied: every command then \
            exits 76 and leaves the directory untouched. --discard-journal moves such a journal to \
            caliby.journal.discarded and opens the directory without it. The files then hold whatever \
            the interrupted transaction had written, so run 'caliby check' next, and restore from a \
            backup if it reports damage.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .long, help: "Set the hot journal aside (as caliby.journal.discarded) instead of applying it.")
    var discardJournal = false

    func run() throws {
        if discardJournal {
            if let kept = try Caliby.discardJournal(global.directory, waitSeconds: global.waitSeconds()) {
                Terminal.write("set the journal aside as \(kept); run 'caliby check' next\n")
            } else {
                Terminal.write("no journal to set aside\n")
            }
        }
        let database = try global.open(.readWrite)
        defer { try? database.close() }
        switch database.recoveryAtOpen {
        case .none: Terminal.write("nothing to recover\n")
        case .rolledBack: Terminal.write("rolled back an unfinished transaction\n")
        case .alreadyCommitted: Terminal.write("removed the journal of a transaction that had committed\n")
        }
    }
}
