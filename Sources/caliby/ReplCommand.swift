import ArgumentParser
import CalibyEngine
import Glibc

struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "Run commands on one open data directory, typed at a prompt or read from a script.",
        discussion: """
            Opens the data directory once (with its exclusive lock, or shared with --read-only) and runs \
            one command per line: the commands and options of the command line, without the word caliby. \
            Quotes and backslashes work as in a shell, and a word that starts with # begins a comment. \
            help lists the commands, help COMMAND shows one command's options, quit or exit (or the end \
            of input) leaves. init, repl and recover are refused, a command's --dir must name the session's \
            directory, and --buffer-size and --wait given to a command are ignored.

            Changes stay pending until flush, the next command that modifies the directory, or the end \
            of the session commits them. A modifying command first commits what earlier commands left \
            pending, so when it fails or Ctrl-C stops it, only its own changes are rolled back. A killed \
            REPL loses only pending changes. At quit, at the end of input and on SIGTERM or SIGHUP the \
            pending changes are committed, and 'committed pending changes' is printed on standard error.

            An error prints 'caliby: error: ...' on standard error (from a script, with the line: \
            'caliby: error: <stdin>:2: ...') and the session goes on; with --bail \
            the first error ends it with that error's exit status. Otherwise the exit status is that of \
            the last command, as in a shell script.

            On a terminal the prompt is 'caliby> ' ('caliby(ro)> ' with --read-only), lines can be \
            edited, TAB completes command names, options and index names, and Ctrl-C discards the line \
            or stops a running insert or search (other commands run to their end; pressed again before \
            a command stops, it ends the REPL like a kill). The history is kept in $CALIBY_HISTORY (default: \
            $XDG_STATE_HOME/caliby/history, else ~/.local/state/caliby/history; set it empty to keep \
            none). When standard input is not a terminal there is no prompt and each command prints \
            what it prints on the command line; standard input is then the script, so a command that \
            would read standard input reads nothing.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .long, help: "Share the directory with other readers; commands that modify it are refused.")
    var readOnly = false

    @Flag(name: .long, help: "End the session at the first error, with that error's exit status.")
    var bail = false

    /// Commands a session does not run, and why: each would open the directory a second time.
    static let refused: [(command: ParsableCommand.Type, reason: String)] = [
        (InitCommand.self, "the session's directory exists already (run 'caliby init' from a shell for another one)"),
        (ReplCommand.self, "this is a REPL already"),
        (RecoverCommand.self, "the session opened the directory, so it is recovered already (run 'caliby recover' from a shell)"),
        (RestoreCommand.self, "it replaces the session's directory (run 'caliby restore' from a shell)"),
    ]

    /// The REPL's own words, besides the commands, as `help` shows them.
    static let builtinHelp: [(words: [String], usage: String, description: String)] = [
        (["help"], "help [COMMAND]", "List the commands, or show one command's options."),
        (["quit", "exit"], "quit, exit", "Commit pending changes and leave (also Ctrl-D)."),
    ]

    static let builtins = builtinHelp.flatMap(\.words)

    /// Every word a line may start with: the refused commands too, which get their own refusal.
    static var words: [String] { CalibyCommand.configuration.subcommands.map { $0._commandName } + builtins }

    func run() throws {
        let database = try global.open(readOnly ? .readOnly : .readWrite)
        Interrupt.install()
        Interrupt.installTermination()
        let input: ReplInput
        if isatty(STDIN_FILENO) == 1 {
            let completion = ReplCompletion(builtins: ReplCommand.builtins,
                                            refused: Set(ReplCommand.refused.map { $0.command._commandName }))
            input = TerminalInput(prompt: readOnly ? "caliby(ro)> " : "caliby> ", historyPath: TerminalInput.historyPath) {
                switch completion.candidates(before: $0, word: $1) {
                case .words(let words): return words
                case .indexNames: return database.listIndexes().map(\.name)
                case .fileNames: return nil
                case .fieldNames(let index):
                    let fields = (try? database.info(named: index))?.config.schema.fields.map(\.name) ?? []
                    let word = $1
                    // What is typed of the word before the field name being completed stays in front.
                    let kept = word.lastIndex { " (,".contains($0) }.map { String(word[...$0]) } ?? ""
                    return fields.map { kept + $0 }
                }
            }
            Terminal.note("caliby repl on \(database.directory)\(readOnly ? " (read-only)" : ""): "
                + "type 'help' for the commands, 'quit' to leave")
        } else {
            input = ScriptInput()
        }
        let repl = Repl(session: Session(database: database, interactive: true), input: input)
        var status: Int32 = 0
        var commit = true
        session: while true {
            switch input.read() {
            case .line(let line):
                switch repl.run(line) {
                case .nothing: break
                case .quit: break session
                case .finished(let result):
                    status = result
                    if bail && status != 0 { break session }
                case .broken(let result):
                    status = result
                    commit = false
                    break session
                }
                if Interrupt.isTerminationRequested { break session }
            case .cancelled: continue
            case .endOfInput, .terminated: break session
            }
        }
        input.close()
        let closing = repl.end(commit: commit)
        Glibc.exit(closing != 0 ? closing : status)
    }
}

/// One REPL session: runs lines against the open directory and keeps each failure atomic.
private final class Repl {
    enum Outcome {
        /// A blank line or a comment: the exit status stays that of the last command.
        case nothing
        case finished(status: Int32)
        case quit
        /// A rollback failed: the session cannot go on (the journal repairs the directory at the next open).
        case broken(status: Int32)
    }

    private struct RollbackFailure: Error {
        var error: Error
    }

    private let session: Session
    private let input: ReplInput
    private var database: Database { session.database }

    init(session: Session, input: ReplInput) {
        self.session = session
        self.input = input
    }

    func run(_ line: String) -> Outcome {
        // A Ctrl-C that no command consumed must not count as the first press for this one.
        _ = Interrupt.take()
        defer { fflush(stdout) }
        do {
            let words = try ShellWords.split(line)
            guard let name = words.first else { return .nothing }
            switch name {
            case "quit", "exit":
                guard words.count == 1 else { throw CalibyError.invalidArgument("\(name) takes no arguments") }
                return .quit
            case "help":
                try help(Array(words.dropFirst()))
            default:
                try execute(words)
            }
            return .finished(status: 0)
        } catch let failure as RollbackFailure {
            return .broken(status: report(failure.error, help: "help", location: input.location))
        } catch where CalibyCommand.exitCode(for: error) == .success {
            // --help and --version inside the session: their text, as on the command line.
            Terminal.write(CalibyCommand.fullMessage(for: error) + "\n")
            return .finished(status: 0)
        } catch {
            return .finished(status: report(error, help: "help", location: input.location))
        }
    }

    private func execute(_ words: [String]) throws {
        if !words[0].hasPrefix("-") { try CommandSuggestion.require(words[0], among: ReplCommand.words) }
        var command = try CalibyCommand.parseAsRoot(words)
        let type = Swift.type(of: command)
        if let refusal = ReplCommand.refused.first(where: { $0.command == type }) {
            throw CalibyError.invalidArgument("'\(type._commandName)' is not available in the REPL: \(refusal.reason)")
        }
        guard let command = command as? DatabaseCommand else {
            return try input.whileRunning { try command.run() }
        }
        if let dir = command.global.dir, canonicalPath(dir) != canonicalPath(database.directory) {
            throw CalibyError.invalidArgument(
                "--dir \(dir): this session works on \(database.directory) (start another 'caliby repl' for another directory)")
        }
        guard command.access == .readWrite else {
            return try input.whileRunning { try command.execute(in: session) }
        }
        guard database.mode == .readWrite else { throw CalibyError.readOnly(type._commandName) }
        try commitPending()
        do {
            try input.whileRunning { try command.execute(in: session) }
        } catch {
            try rollback()
            throw error
        }
    }

    /// What earlier commands left pending is committed before a modifying command starts, so that
    /// the command's failure rolls back its own changes and nothing else: the engine has one
    /// transaction per open directory and no savepoints.
    private func commitPending() throws {
        do {
            try database.flush()
        } catch {
            try rollback()
            Terminal.note("pending changes could not be committed and were rolled back")
            throw error
        }
    }

    private func rollback() throws {
        do {
            try database.rollback()
        } catch {
            throw RollbackFailure(error: error)
        }
    }

    private func help(_ topic: [String]) throws {
        let commands = CalibyCommand.configuration.subcommands
        guard let name = topic.first else {
            var table = Table(columns: ["command", "description"])
            for command in commands where command.configuration.shouldDisplay
                && !ReplCommand.refused.contains(where: { $0.command == command }) {
                table.rows.append([.text(command._commandName), .text(command.configuration.abstract)])
            }
            for builtin in ReplCommand.builtinHelp { table.rows.append([.text(builtin.usage), .text(builtin.description)]) }
            Terminal.write(table.render(.table)
                + "\nType 'help COMMAND' for a command's options, 'help repl' for how a session commits.\n")
            return
        }
        if topic.count == 1, let builtin = ReplCommand.builtinHelp.first(where: { $0.words.contains(name) }) {
            Terminal.write("\(builtin.usage): \(builtin.description)\n")
            return
        }
        try CommandSuggestion.require(name, among: commands.map { $0._commandName } + ReplCommand.builtins)
        guard topic.count == 1, let command = commands.first(where: { $0._commandName == name }) else {
            throw CalibyError.invalidArgument("help takes one command, got \(topic.count): \(topic.joined(separator: " "))")
        }
        Terminal.write(CalibyCommand.helpMessage(for: command) + "\n")
    }

    /// Commits what is pending (unless a failed rollback left the session broken) and releases the
    /// directory; returns the exit status this requires.
    func end(commit: Bool) -> Int32 {
        do {
            if commit && database.hasUncommittedChanges {
                try database.flush()
                Terminal.note("committed pending changes")
            }
            try database.rollback()
            try database.close()
            return 0
        } catch {
            try? database.rollback()
            try? database.close()
            return report(error, help: "help")
        }
    }

    private func canonicalPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
