import CReadline
import CalibyEngine
import Glibc

enum ReplEvent {
    case line(String)
    /// Ctrl-C at the prompt threw the line away.
    case cancelled
    case endOfInput
    /// SIGTERM or SIGHUP: end the session as at end of input.
    case terminated
}

/// Where the REPL's lines come from: a person at a terminal, or a script on standard input.
protocol ReplInput: AnyObject {
    func read() -> ReplEvent
    /// Where the last line read came from, for error messages ("<stdin>:2"); nil at a prompt, where
    /// the user just typed it.
    var location: String? { get }
    /// Runs one command while the input is out of its way.
    func whileRunning(_ command: () throws -> Void) throws
    func close()
}

/// A script on standard input: plain `getline`, no prompt, no editing, no history.
final class ScriptInput: ReplInput {
    private var buffer: UnsafeMutablePointer<CChar>?
    private var capacity = 0
    private var lineNumber = 0

    var location: String? { "<stdin>:\(lineNumber)" }

    func read() -> ReplEvent {
        while !Interrupt.isTerminationRequested {
            errno = 0
            if getline(&buffer, &capacity, stdin) >= 0 {
                lineNumber += 1
                var line = String(cString: buffer!)
                while line.last?.isNewline == true { line.removeLast() }
                return .line(line)
            }
            // SIGTERM's handler has no SA_RESTART, so it breaks a blocked read: look at the flag again.
            guard errno == EINTR else { return .endOfInput }
            clearerr(stdin)
        }
        return .terminated
    }

    /// Standard input is the script, and stdio has read ahead of the current line: a command that
    /// read it (`insert` without FILE, `search` without --vector or --file) would get an arbitrary
    /// part of the rest. It gets /dev/null instead, and the script goes on after the command.
    func whileRunning(_ command: () throws -> Void) throws {
        let script = dup(STDIN_FILENO)
        let null = open("/dev/null", O_RDONLY)
        guard script >= 0, null >= 0 else { throw CalibyError.io(path: "/dev/null", operation: "open", errno: errno) }
        dup2(null, STDIN_FILENO)
        Glibc.close(null)
        defer {
            dup2(script, STDIN_FILENO)
            Glibc.close(script)
        }
        try command()
    }

    func close() {
        free(buffer)
        buffer = nil
    }
}

/// A person at a terminal: GNU readline with history and TAB completion.
///
/// Readline's callback interface is driven from a `pselect` loop, and SIGINT, SIGTERM and SIGHUP are
/// blocked except inside that wait. A signal therefore only ever interrupts the wait, never
/// readline's own work, and the loop cleans up the line itself: no sigsetjmp, and no readline call
/// from a signal handler. While a command runs the signals are unblocked and reach it as usual.
final class TerminalInput: ReplInput {
    var location: String? { nil }

    /// History kept across sessions; `CALIBY_HISTORY=` (empty) keeps none.
    static var historyPath: String? {
        if let raw = getenv("CALIBY_HISTORY") { return raw.pointee == 0 ? nil : String(cString: raw) }
        let state = ProcessEnvironment.value("XDG_STATE_HOME") ?? (ProcessEnvironment.value("HOME") ?? ".") + "/.local/state"
        return state + "/caliby/history"
    }

    static let historyLimit: Int32 = 1000

    private let prompt: String
    private let historyPath: String?
    /// Lines typed in this session, oldest first, to merge into the history file at the end.
    private var entered: [String] = []

    // Readline calls back through C function pointers, which cannot capture context: the state
    // they share lives here (one terminal, one editor per process).
    nonisolated(unsafe) private static var received: String??
    nonisolated(unsafe) private static var complete: ((_ before: String, _ word: String) -> [String]?)?
    nonisolated(unsafe) private static var matches: [String] = []
    nonisolated(unsafe) private static var nextMatch = 0

    /// `complete` gets the line before the word being completed and the word; it returns the
    /// candidates, or nil for readline's own file-name completion.
    init(prompt: String, historyPath: String?, complete: @escaping (_ before: String, _ word: String) -> [String]?) {
        self.prompt = prompt
        self.historyPath = historyPath
        TerminalInput.complete = complete
        // Readline keeps these pointers: the copies live as long as the process.
        rl_readline_name = UnsafePointer(strdup("caliby"))  // for $if caliby in ~/.inputrc
        rl_outstream = stderr  // the prompt and the echo never mix with results on standard output
        rl_catch_signals = 0  // the pselect loop handles them
        rl_change_environment = 0  // readline would otherwise export LINES and COLUMNS
        rl_completer_quote_characters = UnsafePointer(strdup("\"'"))
        rl_attempted_completion_function = { text, start, _ in
            guard let complete = TerminalInput.complete, let buffer = rl_line_buffer else { return nil }
            let before = String(decoding: UnsafeRawBufferPointer(start: buffer, count: Int(start)), as: UTF8.self)
            let word = text.map { String(cString: $0) } ?? ""
            guard let candidates = complete(before, word) else { return nil }
            rl_attempted_completion_over = 1
            TerminalInput.matches = candidates.filter { $0.hasPrefix(word) }
            return rl_completion_matches(text) { _, state in
                if state == 0 { TerminalInput.nextMatch = 0 }
                guard TerminalInput.nextMatch < TerminalInput.matches.count else { return nil }
                defer { TerminalInput.nextMatch += 1 }
                return strdup(TerminalInput.matches[TerminalInput.nextMatch])
            }
        }
        using_history()
        stifle_history(TerminalInput.historyLimit)
        if let historyPath { read_history(historyPath) }
    }

    func read() -> ReplEvent {
        fflush(stdout)
        var blocked = sigset_t(), waiting = sigset_t()
        sigemptyset(&blocked)
        for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&blocked, signal) }
        pthread_sigmask(SIG_BLOCK, &blocked, &waiting)
        defer { pthread_sigmask(SIG_SETMASK, &waiting, nil) }
        TerminalInput.received = nil
        rl_callback_handler_install(prompt) { line in
            TerminalInput.received = .some(line.map { String(cString: $0) })
            free(line)
            // Removing the handler here stops readline from showing the next prompt right away.
            rl_callback_handler_remove()
        }
        while true {
            if Interrupt.isTerminationRequested {
                leavePrompt()
                return .terminated
            }
            if Interrupt.take() {
                // Ctrl-C at the prompt discards the line, as in a shell.
                rl_echo_signal_char(SIGINT)
                rl_free_line_state()
                rl_callback_sigcleanup()
                leavePrompt()
                return .cancelled
            }
            var readable = fd_set()
            readable.__fds_bits.0 = 1 << STDIN_FILENO  // FD_SET(0): the macro is not visible to Swift
            if pselect(STDIN_FILENO + 1, &readable, nil, nil, nil, &waiting) < 0 {
                if errno == EINTR { continue }
                leavePrompt()
                return .endOfInput
            }
            rl_callback_read_char()
            guard let received = TerminalInput.received else { continue }
            guard let line = received else { return .endOfInput }
            remember(line)
            return .line(line)
        }
    }

    func whileRunning(_ command: () throws -> Void) throws {
        try command()
    }

    /// Saves the history: the file is read again first, so lines that other sessions saved in the
    /// meantime are kept, and this session's lines go last.
    func close() {
        guard let historyPath, !entered.isEmpty else { return }
        makeParentDirectories(of: historyPath)
        clear_history()
        read_history(historyPath)
        for line in entered { TerminalInput.addToHistory(line) }
        let code = write_history(historyPath)
        if code != 0 { Terminal.note("could not save the history in \(historyPath): \(String(cString: strerror(code)))") }
    }

    /// Restores the terminal and leaves the prompt's line.
    private func leavePrompt() {
        rl_callback_handler_remove()
        fputs("\n", stderr)
    }

    private func remember(_ typed: String) {
        // Trailing blanks, such as the space TAB completion appends, would make copies look different.
        var line = typed
        while line.last?.isWhitespace == true { line.removeLast() }
        guard !line.isEmpty else { return }
        TerminalInput.addToHistory(line)
        entered.removeAll { $0 == line }
        entered.append(line)
    }

    /// Adds a line as the newest entry, removing older copies: the history holds no duplicates.
    private static func addToHistory(_ line: String) {
        while let index = (0..<Int(history_length)).first(where: { i in
            history_list()?[i].map { String(cString: $0.pointee.line) } == line
        }) {
            free_history_entry(remove_history(Int32(index)))
        }
        add_history(line)
    }

    /// The history's directory, private to the user: lines may hold vectors and file names.
    private func makeParentDirectories(of path: String) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/").dropLast() {
            prefix += "/" + part
            mkdir(prefix, 0o700)
        }
    }
}
