import ArgumentParser
import CalibyEngine
import Glibc

struct CheckCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify every page checksum and the graph structure of indexes (all by default).",
        discussion: """
            Reads every page of each index file: checksums, pages missing or past the index's end, \
            and every structural invariant (links, id map, counters, free list, unused slots empty). \
            Prints 'NAME: ok' or one line per problem; exits 76 when anything is damaged. A catalog \
            that is itself damaged (duplicate ids or names, values out of range) stops every \
            command, this one included, with exit 76 and the field at fault. Index files the \
            catalog does not name (left by a create that never committed) are noted on stderr; \
            the next command that writes removes them.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Index names (default: all).", completion: .indexName)
    var names: [String] = []

    var access: AccessMode { .readOnly }

    func execute(in session: Session) throws {
        let database = session.database
        let infos = try names.isEmpty ? database.listIndexes() : names.map { try database.info(named: $0) }
        var damaged: [String] = []
        for info in infos {
            let problems = try database.check(info)
            if problems.isEmpty {
                Terminal.write("\(info.name): ok\n")
            } else {
                for problem in problems { Terminal.write("\(info.name): \(problem)\n") }
                damaged.append(info.name)
            }
        }
        // A writer removed such files when it opened the directory: what one sees later is a drop
        // waiting for its commit, not an orphan.
        if names.isEmpty && database.mode == .readOnly {
            for file in try database.unnamedIndexFiles() {
                fputs("caliby: note: \(database.directory)/\(file): not named by the catalog (left by a create that never "
                      + "committed; the next command that writes removes it)\n", stderr)
            }
        }
        if !damaged.isEmpty {
            // The lines above said what is wrong; this names only which indexes, once.
            let which = damaged.count == 1 ? "index '\(damaged[0])'" : "indexes " + damaged.map { "'\($0)'" }.joined(separator: ", ")
            throw CalibyError.corrupt(path: database.directory, detail: "\(which) failed the check")
        }
    }
}
