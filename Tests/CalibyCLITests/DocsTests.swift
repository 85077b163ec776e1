import Foundation
import XCTest

/// The man pages and completion scripts are generated from the argument definitions and committed;
/// these tests regenerate them and fail when the committed ones have drifted.
final class DocsTests: XCTestCase {
    private var manDirectory: String { Tools.packageRoot + "/man" }
    private var completionsDirectory: String { Tools.packageRoot + "/completions" }

    /// The files of `directory` whose names pass `include`, by name.
    private func contents(of directory: String, _ include: (String) -> Bool) throws -> [String: String] {
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where include(name) {
            files[name] = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
        }
        return files
    }

    private func assertSame(generated: [String: String], committed: [String: String], regenerate: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(generated.keys.sorted(), committed.keys.sorted(), "run \(regenerate)", file: file, line: line)
        for (name, text) in generated where committed[name] != text {
            XCTFail("\(name) is out of date: run \(regenerate)", file: file, line: line)
        }
    }

    private static func isManPage(_ name: String) -> Bool { name.hasPrefix("caliby") && name.hasSuffix(".1") }

    // MARK: Man pages

    func testManPagesMatchTheArgumentDefinitions() throws {
        guard let scratch = Tools.scratchPath else { throw XCTSkip("no SwiftPM scratch directory above \(CLI.binary)") }
        let output = try makeTemporaryDirectory()
        // `swift test` holds the scratch directory's lock while the tests run; its build is done.
        let generated = try Tools.run(manDirectory + "/generate.sh", ["--scratch-path", scratch, "--ignore-lock", output])
        XCTAssertEqual(generated.status, 0, generated.stderr)
        assertSame(generated: try contents(of: output, Self.isManPage), committed: try contents(of: manDirectory, Self.isManPage),
                   regenerate: "man/generate.sh")
    }

    func testEveryPageHasTheStandardSections() throws {
        let pages = try contents(of: manDirectory, Self.isManPage)
        let commands = try CLI.run(["--help"]).stdout
        XCTAssertFalse(pages.isEmpty)
        for (name, text) in pages {
            let sections = text.split(separator: "\n").filter { $0.hasPrefix(".Sh ") }.map { $0.dropFirst(4).replacingOccurrences(of: "\"", with: "") }
            // The pages of the commands that take --where explain the filter language; those of
            // the command that takes --text, the query syntax.
            let filters = ["caliby.1", "caliby-search.1", "caliby-get.1"].contains(name) ? ["FILTERS"] : []
            let text = ["caliby.1", "caliby-search.1"].contains(name) ? ["FULL-TEXT SEARCH"] : []
            XCTAssertEqual(sections, ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS"] + filters + text + ["ENVIRONMENT", "FILES", "EXIT STATUS",
                                      "EXAMPLES", "SEE ALSO"], name)
            if name != "caliby.1" {
                let command = name.dropFirst("caliby-".count).dropLast(".1".count)
                XCTAssertTrue(commands.contains("  \(command) "), "\(name) documents a command that caliby has")
            }
        }
    }

    func testManPagesRenderWithoutWarnings() throws {
        guard let man = Tools.find("man") else { throw XCTSkip("man is not installed") }
        for name in try contents(of: manDirectory, Self.isManPage).keys.sorted() {
            let rendered = try Tools.run(man, ["--warnings", "-l", manDirectory + "/" + name], environment: ["MANWIDTH": "80"])
            XCTAssertEqual(rendered.status, 0, name)
            XCTAssertEqual(rendered.stderr, "", name)
            XCTAssertTrue(rendered.stdout.contains("EXIT STATUS"), name)
        }
    }

    /// FILES names what the engine writes; ENVIRONMENT names every variable the tool's own code reads
    /// (the engine reads only $TMPDIR, for library users' temporary indexes, which the tool never makes).
    func testFilesAndEnvironmentSectionsMatchTheCode() throws {
        let page = try String(contentsOfFile: manDirectory + "/caliby.1", encoding: .utf8)
        func section(_ title: String) -> String {
            page[page.range(of: ".Sh \(title)\n")!.upperBound...].components(separatedBy: "\n.Sh ")[0]
        }
        let files = section("FILES")
        let dir = try makeDataDirectory()
        let session = try startRepl(in: dir)
        session.send("create documented --dim 2 --max-elements 10")
        session.send("list --names-only")
        XCTAssertTrue(session.waitForOutput("documented\n"))
        let whilePending = try FileManager.default.contentsOfDirectory(atPath: dir)
        try session.closeInput()
        XCTAssertEqual(session.finish().status, 0)
        XCTAssertTrue(whilePending.contains("caliby.journal"), "the journal exists while changes are pending: \(whilePending)")
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir).contains("caliby.journal"))
        for name in whilePending {
            let documented = name.hasPrefix("index_") ? "index_ Ns Ar id Ns Pa .dat" : name
            XCTAssertTrue(files.contains(documented), "FILES documents \(name)")
        }

        let environment = section("ENVIRONMENT")
        let sources = Tools.packageRoot + "/Sources/caliby"
        let reads = try NSRegularExpression(pattern: #"(?:ProcessEnvironment\.value|getenv)\("([A-Z_]+)"\)"#)
        var variables: Set<String> = []
        for case let file as String in FileManager.default.enumerator(atPath: sources)! where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: sources + "/" + file, encoding: .utf8)
            for match in reads.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                variables.insert(String(text[Range(match.range(at: 1), in: text)!]))
            }
        }
        XCTAssertTrue(variables.isSuperset(of: ["CALIBY_DIR", "CALIBY_BUFFER_SIZE", "CALIBY_HISTORY"]), "\(variables)")
        for variable in variables.subtracting(["HOME"]) {
            XCTAssertTrue(environment.contains(variable), "ENVIRONMENT documents $\(variable)")
        }
    }

    // MARK: Completion scripts

    func testCompletionScriptsMatchTheArgumentDefinitions() throws {
        let output = try makeTemporaryDirectory()
        let generated = try Tools.run(completionsDirectory + "/generate.sh", [output], environment: ["CALIBY": CLI.binary])
        XCTAssertEqual(generated.status, 0, generated.stderr)
        let scripts = ["caliby.bash", "_caliby", "caliby.fish"]
        assertSame(generated: try contents(of: output) { scripts.contains($0) },
                   committed: try contents(of: completionsDirectory) { scripts.contains($0) },
                   regenerate: "CALIBY=.build/debug/caliby completions/generate.sh")
    }

    func testBashCompletesIndexNamesOfTheDirectoryOnTheCommandLine() throws {
        let dir = try makeDataDirectory()
        for name in ["alpha", "beta", "albatross"] {
            try succeed(["create", name, "--dim", "2", "--max-elements", "10"], in: dir)
        }
        let fallback = try makeDataDirectory()
        try succeed(["create", "bravo", "--dim", "2", "--max-elements", "10"], in: fallback)
        func complete(_ words: [String]) throws -> [String] { try bashCompletions(words, environment: ["CALIBY_DIR": fallback]) }
        XCTAssertEqual(try complete(["search", "--dir", dir, ""]), ["albatross", "alpha", "beta"])
        XCTAssertEqual(try complete(["drop", "--dir", dir, "al"]), ["albatross", "alpha"])
        XCTAssertEqual(try complete(["info", "b"]), ["bravo"], "without --dir: $CALIBY_DIR")
    }
}
