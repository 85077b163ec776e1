import Foundation
import XCTest

/// `caliby repl` as scripts use it (standard input a pipe) and as people do (a terminal, via tmux).
final class ReplTests: XCTestCase {
    /// A data directory with the index `colors`: 3 dimensions, ids 1…rows.
    private func directoryWithIndex(rows: Int = 20) throws -> String {
        let dir = try makeDataDirectory()
        try succeed(["create", "colors", "--dim", "3", "--max-elements", "1000"], in: dir)
        let csv = (1...rows).map { "\($0),\($0),\($0 * 2),\($0 * 3)\n" }.joined()
        try succeed(["insert", "colors", "--format", "csv", "--id-column", "1", "--quiet"], in: dir, input: csv)
        return dir
    }

    private func repl(_ lines: [String], in dir: String, options: [String] = []) throws -> CLIResult {
        try CLI.run(["repl"] + options, directory: dir, input: lines.map { $0 + "\n" }.joined())
    }

    // MARK: Scripts

    func testScriptOutputIsWhatTheCommandLinePrints() throws {
        let dir = try directoryWithIndex()
        let cases: [(line: String, arguments: [String])] = [
            ("list", ["list"]),
            ("info colors --format csv", ["info", "colors", "--format", "csv"]),
            ("search colors --vector \"3 6 9\" -k 4", ["search", "colors", "--vector", "3 6 9", "-k", "4"]),
            ("search colors --vector '1, 2, 3' -k 2 --format json", ["search", "colors", "--vector", "1, 2, 3", "-k", "2", "--format", "json"]),
            ("search colors --vector 2\\ 4\\ 6 -k 1 # a comment", ["search", "colors", "--vector", "2 4 6", "-k", "1"]),
            ("exit-codes", ["exit-codes"]),
        ]
        let session = try repl(["# a script", ""] + cases.map(\.line), in: dir)
        // exit-codes takes no --dir.
        let expected = try cases.map { try CLI.run($0.arguments, directory: $0.arguments == ["exit-codes"] ? nil : dir).stdout }
            .joined()
        XCTAssertEqual(session.status, 0, session.stderr)
        XCTAssertEqual(session.stdout, expected, "no prompt, and each command's output as on the command line")
        XCTAssertEqual(session.stderr, "", "nothing was pending at the end")
    }

    func testErrorsAreReportedAndTheSessionGoesOn() throws {
        let dir = try directoryWithIndex()
        let session = try repl(["info nope", "bogus", "search colors --vector \"1 2\"", "search \"colors", "init", "repl",
                                "list --names-only"], in: dir)
        XCTAssertEqual(session.status, 0, "the status of the last command")
        XCTAssertEqual(session.stdout, "colors\n")
        let errors = session.stderr.split(separator: "\n")
        XCTAssertEqual(errors.count, 6, session.stderr)
        XCTAssertTrue(errors.allSatisfy { $0.hasPrefix("caliby: error: ") }, session.stderr)
        XCTAssertTrue(session.stderr.contains("no index named 'nope'"))
        XCTAssertTrue(session.stderr.contains("unterminated \" quote"))
        XCTAssertTrue(session.stderr.contains("'init' is not available in the REPL"))
        XCTAssertTrue(session.stderr.contains("'repl' is not available in the REPL"))
    }

    /// A script's error names its line, as sqlite3 ("near line 2") and compilers do.
    func testScriptErrorsNameTheLine() throws {
        let dir = try directoryWithIndex()
        let session = try repl(["list --names-only", "# a comment", "", "serach colors"], in: dir, options: ["--bail"])
        XCTAssertEqual(session.status, 64)
        XCTAssertEqual(session.stderr, "caliby: error: <stdin>:4: 'serach' is not a caliby command. Did you mean 'search'? (see 'help')\n")
        let engine = try repl(["info nope"], in: dir)
        XCTAssertEqual(engine.stderr, "caliby: error: <stdin>:1: no index named 'nope'\n")
    }

    /// help documents every word its list shows, the REPL's own ones too.
    func testHelpTakesTheWordsItLists() throws {
        let dir = try directoryWithIndex()
        let session = try repl(["help quit", "help exit", "help help", "help qit"], in: dir)
        XCTAssertEqual(session.stdout, """
            quit, exit: Commit pending changes and leave (also Ctrl-D).
            quit, exit: Commit pending changes and leave (also Ctrl-D).
            help [COMMAND]: List the commands, or show one command's options.

            """)
        XCTAssertEqual(session.stderr, "caliby: error: <stdin>:4: 'qit' is not a caliby command. Did you mean 'quit'? (see 'help')\n")
    }

    func testExitStatusIsTheLastCommandsOrWithBailTheFirstError() throws {
        let dir = try directoryWithIndex()
        XCTAssertEqual(try repl(["info nope"], in: dir).status, 66)
        XCTAssertEqual(try repl(["info nope", "list"], in: dir).status, 0)
        let bail = try repl(["list --names-only", "create colors --dim 3 --max-elements 10", "list --names-only"],
                            in: dir, options: ["--bail"])
        XCTAssertEqual(bail.status, 67, bail.stderr)
        XCTAssertEqual(bail.stdout, "colors\n", "nothing runs after the error")
        XCTAssertEqual(try repl(["search colors --vector \"1 2\"", "list"], in: dir, options: ["--bail"]).status, 65)
        XCTAssertEqual(try repl(["bogus", "list"], in: dir, options: ["--bail"]).status, 64)
    }

    func testFailedModifyingCommandRollsBackOnlyItsOwnChanges() throws {
        let dir = try makeDataDirectory()
        let good = try makeTemporaryFile("good.csv", contents: Data("1,1,1\n2,2,2\n3,3,3\n".utf8))
        let bad = try makeTemporaryFile("bad.csv", contents: Data("4,4,4\n5,5,5\n6,6\n".utf8))
        let session = try repl(["create extra --dim 2 --max-elements 100",
                                "insert extra \(good) --id-column 1 --quiet",
                                "insert extra \(bad) --id-column 1 --quiet",
                                "info extra --format csv"], in: dir)
        XCTAssertEqual(session.status, 0, session.stderr)
        XCTAssertTrue(session.stderr.contains("caliby: error: <stdin>:3: \(bad):3"), session.stderr)
        XCTAssertTrue(session.stdout.contains("\nvectors,3\n"), session.stdout)
        XCTAssertFalse(session.stderr.contains("committed pending changes"), "the failed insert left nothing pending")
        XCTAssertTrue(try succeed(["info", "extra", "--format", "csv"], in: dir).contains("\nvectors,3\n"),
                      "the create and the first insert were committed")
    }

    func testPendingChangesAreCommittedAtTheEndOfInput() throws {
        let dir = try makeDataDirectory()
        let session = try repl(["create later --dim 2 --max-elements 10"], in: dir)
        XCTAssertEqual(session.status, 0)
        XCTAssertEqual(session.stderr, "committed pending changes\n")
        XCTAssertEqual(try succeed(["list", "--names-only"], in: dir), "later\n")
    }

    func testCommandsDoNotReadTheScriptAsTheirStandardInput() throws {
        let dir = try directoryWithIndex()
        let session = try repl(["insert colors --format csv --quiet", "list --names-only", "info colors --format csv"], in: dir)
        XCTAssertEqual(session.status, 0, session.stderr)
        XCTAssertTrue(session.stdout.hasPrefix("colors\n"), "the lines after the insert ran: \(session.stdout)")
        XCTAssertTrue(session.stdout.contains("\nvectors,20\n"), session.stdout)
    }

    func testCommandsDirectoryMustBeTheSessions() throws {
        let dir = try directoryWithIndex()
        let other = try makeDataDirectory()
        let session = try repl(["list --names-only --dir '\(other)'", "list --names-only --dir '\(dir)'",
                                "list --names-only --dir '\(dir)/.' --buffer-size 1M --wait 3"], in: dir)
        XCTAssertEqual(session.stdout, "colors\ncolors\n")
        XCTAssertTrue(session.stderr.contains("--dir \(other): this session works on"), session.stderr)
    }

    func testHelpListsTheSessionsCommandsAndShowsOneCommandsOptions() throws {
        let dir = try makeDataDirectory()
        let session = try repl(["help", "help search", "search --help", "help nope", "help serch", "serch colors", "frobnicate"],
                               in: dir)
        let lines = session.stdout.split(separator: "\n")
        XCTAssertTrue(lines.contains { $0.hasPrefix("create ") }, session.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("quit, exit ") }, session.stdout)
        XCTAssertFalse(lines.contains { $0.hasPrefix("init ") || $0.hasPrefix("repl ") }, "refused commands are not offered")
        XCTAssertEqual(session.stdout.components(separatedBy: "USAGE: caliby search").count, 3, "help search and --help")
        // An unknown word is named as git names one, with the command it is closest to.
        XCTAssertEqual(session.stderr.split(separator: "\n"), [
            "caliby: error: <stdin>:4: 'nope' is not a caliby command (see 'help')",
            "caliby: error: <stdin>:5: 'serch' is not a caliby command. Did you mean 'search'? (see 'help')",
            "caliby: error: <stdin>:6: 'serch' is not a caliby command. Did you mean 'search'? (see 'help')",
            "caliby: error: <stdin>:7: 'frobnicate' is not a caliby command (see 'help')",
        ])
        XCTAssertEqual(session.status, 64, "the last line's error")
    }

    // MARK: The lock

    func testLockIsHeldForTheSessionAndReleasedAtQuit() throws {
        let dir = try directoryWithIndex()
        let session = try startRepl(in: dir)
        session.send("list --names-only")
        XCTAssertTrue(session.waitForOutput("colors\n"), "the session is open")
        let writer = try CLI.run(["create", "other", "--dim", "2", "--max-elements", "10"], directory: dir)
        XCTAssertEqual(writer.status, 75, writer.stderr)
        XCTAssertEqual(try CLI.run(["list"], directory: dir).status, 75, "a writer's session excludes readers")
        session.send("quit")
        XCTAssertEqual(session.finish().status, 0)
        try succeed(["create", "other", "--dim", "2", "--max-elements", "10"], in: dir)
    }

    func testReadOnlySessionSharesTheDirectoryAndRefusesChanges() throws {
        let dir = try directoryWithIndex()
        let session = try startRepl(in: dir, options: ["--read-only"])
        session.send("list --names-only")
        XCTAssertTrue(session.waitForOutput("colors\n"))
        try succeed(["search", "colors", "--vector", "1,2,3"], in: dir)
        XCTAssertEqual(try CLI.run(["create", "other", "--dim", "2", "--max-elements", "10"], directory: dir).status, 75)
        session.send("create other --dim 2 --max-elements 10")
        session.send("flush")
        try session.closeInput()
        let result = session.finish()
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("create needs write access, but the directory is open read-only"), result.stderr)
        XCTAssertEqual(try succeed(["list", "--names-only"], in: dir), "colors\n")
    }

    func testSIGTERMCommitsPendingChanges() throws {
        let dir = try makeDataDirectory()
        let session = try startRepl(in: dir)
        session.send("create late --dim 2 --max-elements 10")
        session.send("list --names-only")
        XCTAssertTrue(session.waitForOutput("late\n"))
        session.process.terminate()
        let result = session.finish()
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "committed pending changes\n")
        XCTAssertEqual(try succeed(["list", "--names-only"], in: dir), "late\n")
    }

    // MARK: A terminal

    func testPromptCompletionAndHistoryAcrossSessions() throws {
        let dir = try directoryWithIndex()
        try succeed(["create", "alpha_index", "--dim", "2", "--max-elements", "10"], in: dir)
        let history = try makeTemporaryFile("history", contents: Data())
        try FileManager.default.removeItem(atPath: history)

        let first = try TerminalSession(["repl", "--dir", dir], history: history, testCase: self)
        XCTAssertTrue(first.waitFor("caliby>"), first.screen)
        first.type("info alp")
        first.press("Tab")
        XCTAssertTrue(first.waitFor("caliby> info alpha_index"), "TAB completes the index name: \(first.screen)")
        first.press("Enter")
        XCTAssertTrue(first.waitFor("ef_construction"), first.screen)
        first.type("list --na")
        first.press("Tab")
        XCTAssertTrue(first.waitFor("caliby> list --names-only"), "TAB completes the option: \(first.screen)")
        first.press("Enter")
        first.type("list --names-only")
        first.press("Enter")
        first.type("quit")
        first.press("Enter")
        XCTAssertTrue(first.waitFor("[exit status 0]"), first.screen)
        let saved = try String(contentsOfFile: history, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(saved, ["info alpha_index", "list --names-only", "quit"], "every line once, the latest last")

        let second = try TerminalSession(["repl", "--dir", dir], history: history, testCase: self)
        XCTAssertTrue(second.waitFor("caliby>"), second.screen)
        second.press("Up")
        second.press("Up")
        XCTAssertTrue(second.waitFor("caliby> list --names-only"), "history from the first session: \(second.screen)")
        second.press("Enter")
        XCTAssertTrue(second.waitFor("colors\nalpha_index"), second.screen)
        // help takes every command, repl too, though a session refuses to run it.
        second.type("help rep")
        second.press("Tab")
        XCTAssertTrue(second.waitFor("caliby> help repl"), "TAB completes a help topic: \(second.screen)")
        second.press("C-c")
        second.press("C-d")
        XCTAssertTrue(second.waitFor("[exit status 0]"), second.screen)
    }

    func testCompletionOffersTheIndexsFieldNames() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "docs", "--dim", "2", "--max-elements", "10", "--field", "title:text", "--field", "price:float"], in: dir)
        let session = try TerminalSession(["repl", "--dir", dir], history: "", testCase: self)
        XCTAssertTrue(session.waitFor("caliby>"), session.screen)
        session.type("get docs --fields title,pr")
        session.press("Tab")
        XCTAssertTrue(session.waitFor("caliby> get docs --fields title,price"), "after --fields: \(session.screen)")
        session.press("C-c")
        session.type("get docs --where \"title = 'a' OR pri")
        session.press("Tab")
        XCTAssertTrue(session.waitFor("caliby> get docs --where \"title = 'a' OR price"), "inside --where: \(session.screen)")
    }

    func testReadOnlyPrompt() throws {
        let dir = try makeDataDirectory()
        let session = try TerminalSession(["repl", "--dir", dir, "--read-only"], history: "", testCase: self)
        XCTAssertTrue(session.waitFor("caliby(ro)>"), session.screen)
    }

    func testCtrlCCancelsTheLineOrTheRunningCommandAndTheSessionGoesOn() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "big", "--dim", "32", "--max-elements", "40000"], in: dir)
        let vectors = try makeTemporaryFile("big.fvecs", contents: fvecs(testVectors(count: 40_000, dimensions: 32, seed: 5),
                                                                          dimensions: 32))
        let session = try TerminalSession(["repl", "--dir", dir], history: "", testCase: self)
        XCTAssertTrue(session.waitFor("caliby>"), session.screen)
        session.type("garbage that never runs")
        session.press("C-c")
        XCTAssertTrue(session.waitFor("^C\ncaliby>"), session.screen)
        // One thread, and Ctrl-C only once the insert has journaled its first page: on a fast
        // many-core machine the insert must still be running when the key arrives.
        session.type("insert big \(vectors) --quiet --threads 1")
        session.press("Enter")
        XCTAssertTrue(poll(timeout: 20, every: 0.01) { FileManager.default.fileExists(atPath: dir + "/caliby.journal") },
                      session.screen)
        session.press("C-c")
        XCTAssertTrue(session.waitFor("caliby: error: interrupted"), session.screen)
        session.type("info big --format csv")
        session.press("Enter")
        XCTAssertTrue(session.waitFor("vectors,0"), "the interrupted insert was rolled back: \(session.screen)")
        session.type("quit")
        session.press("Enter")
        XCTAssertTrue(session.waitFor("[exit status 0]"), session.screen)
        XCTAssertFalse(session.screen.contains("garbage'"), "the cancelled line never ran")
    }
}

/// `caliby` in a real terminal: a private tmux server (its own socket), killed when the test ends.
final class TerminalSession {
    private let tmux: String
    private let socket: String

    /// `history` is $CALIBY_HISTORY ("" keeps none). After caliby exits the pane shows its status.
    init(_ arguments: [String], history: String, testCase: XCTestCase) throws {
        guard let tmux = Tools.find("tmux") else { throw XCTSkip("tmux is not installed") }
        self.tmux = tmux
        socket = NSTemporaryDirectory() + "caliby-tmux-" + UUID().uuidString
        // The shell traps SIGINT so that Ctrl-C, which the terminal sends to it as well, leaves it
        // running to print caliby's exit status (a trap, unlike an ignored signal, is not inherited).
        let command = "trap : INT; " + (["env", "-u", "CALIBY_DIR", "CALIBY_HISTORY=" + history, CLI.binary] + arguments)
            .map(quoted).joined(separator: " ") + "; echo \"[exit status $?]\"; sleep 600"
        testCase.addTeardownBlock { [tmux, socket] in
            _ = try? Tools.run(tmux, ["-S", socket, "kill-server"])
            try? FileManager.default.removeItem(atPath: socket)
        }
        let started = try Self.spawnAndWait([tmux, "-S", socket, "-f", "/dev/null", "new-session", "-d", "-x", "150", "-y", "50",
                                             command])
        XCTAssertEqual(started, 0, "tmux new-session")
    }

    /// The tmux server that `new-session` forks keeps the client's descriptors open. Foundation's
    /// Process learns of an exit when a descriptor it gave the child closes, so it would wait for
    /// the server's end; posix_spawn and waitpid only wait for the client itself.
    private static func spawnAndWait(_ arguments: [String]) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in 0...2 { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0) }
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let code = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        guard code == 0 else { throw NSError(domain: NSPOSIXErrorDomain, code: Int(code)) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }

    private func quoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    func type(_ text: String) {
        _ = try? Tools.run(tmux, ["-S", socket, "send-keys", "-l", text])
    }

    /// A key by tmux's name: Enter, Tab, Up, C-c, C-d.
    func press(_ key: String) {
        _ = try? Tools.run(tmux, ["-S", socket, "send-keys", key])
        Thread.sleep(forTimeInterval: 0.2)
    }

    /// The whole pane, scrollback included. tmux drops the blanks at the end of a line, so the
    /// prompt at the end of a line reads "caliby>".
    var screen: String {
        (try? Tools.run(tmux, ["-S", socket, "capture-pane", "-p", "-J", "-S", "-"]))?.stdout ?? ""
    }

    func waitFor(_ text: String, timeout: TimeInterval = 20) -> Bool {
        poll(timeout: timeout, every: 0.1) { screen.contains(text) }
    }
}
