import Foundation
import XCTest

/// Kills `caliby` with SIGKILL at random instants during create, drop, insert and commit, and checks
/// that every reopen shows a committed state that passes `caliby check`.
final class CrashTests: XCTestCase {
    private struct State: Equatable {
        var counts: [String: Int]
    }

    private func state(_ dir: String) throws -> State {
        let list = try CLI.run(["list", "--format", "tsv"], directory: dir)
        XCTAssertEqual(list.status, 0, "reopen after a kill failed: \(list.stderr)")
        var counts: [String: Int] = [:]
        for line in list.stdout.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: "\t")
            counts[String(fields[0])] = Int(fields[4])
        }
        return State(counts: counts)
    }

    func testKillAtRandomInstantsAlwaysLeavesACommittedState() throws {
        let dir = try makeDataDirectory()
        let d = 16
        let chunk = 600
        let data = try makeTemporaryFile("chunk.fvecs", contents: fvecs(testVectors(count: chunk, dimensions: d, seed: 1), dimensions: d))
        try succeed(["create", "main", "--dim", "\(d)", "--max-elements", "100000", "--M", "8", "--ef-construction", "40"], in: dir)
        var committed = try state(dir)
        var kills = KillSchedule(within: 250_000)
        for round in 0..<24 {
            // A small pool forces dirty pages out to the files before commit, so recovery has
            // real work to undo.
            let operation: [String]
            var possible = [committed]
            var next = committed
            switch round % 4 {
            case 0, 1:
                operation = ["insert", "main", data, "--quiet", "--buffer-size", "96K"]
                next.counts["main"]! += chunk
            case 2:
                operation = ["create", "extra\(round)", "--dim", "8", "--max-elements", "50000"]
                next.counts["extra\(round)"] = 0
            default:
                let victim = committed.counts.keys.filter { $0 != "main" }.sorted().first ?? "main"
                if victim == "main" { continue }
                operation = ["drop", victim]
                next.counts.removeValue(forKey: victim)
            }
            possible.append(next)
            try kills.runAndKill(operation, in: dir)
            let now = try state(dir)
            XCTAssertTrue(possible.contains(now), "round \(round) \(operation[0]): \(now) is neither \(possible[0]) nor \(possible[1])")
            let check = try CLI.run(["check"], directory: dir)
            XCTAssertEqual(check.status, 0, "round \(round): \(check.stdout) \(check.stderr)")
            committed = now
        }
        XCTAssertGreaterThan(kills.killed, 5, "most rounds should be killed mid-command")
        let search = try CLI.run(["search", "main", "--vector", Array(repeating: "1", count: d).joined(separator: ","), "-k", "3"],
                                 directory: dir)
        XCTAssertEqual(search.status, 0, search.stderr)
    }

    /// resize copies an index into a new file and swaps it in at commit: a kill leaves the old
    /// capacity or the new one, every vector found, no file the catalog does not name, and the
    /// index then fills up to the capacity it shows.
    func testKillDuringResizeLeavesTheOldOrTheNewIndex() throws {
        let dir = try makeDataDirectory()
        let d = 16
        // Large enough that a resize takes a few tens of milliseconds, so most kills land inside it.
        let start = 20_000, rounds = 12, step = 250
        let vectors = testVectors(count: start + rounds * step, dimensions: d, seed: 7)
        let data = try makeTemporaryFile("base.fvecs", contents: fvecs(Array(vectors[0..<(start * d)]), dimensions: d))
        let small = try makeTemporaryFile("small.fvecs", contents: fvecs(Array(vectors[0..<(1000 * d)]), dimensions: d))
        try succeed(["create", "main", "--dim", "\(d)", "--max-elements", "\(start)", "--M", "8", "--ef-construction", "40"], in: dir)
        try succeed(["create", "other", "--type", "diskann", "--dim", "\(d)", "--max-elements", "1000"], in: dir)
        try succeed(["insert", "main", data, "--quiet"], in: dir)
        try succeed(["insert", "other", small, "--quiet"], in: dir)
        func capacities() throws -> [String] {
            let list = try CLI.run(["list", "--format", "tsv"], directory: dir)
            XCTAssertEqual(list.status, 0, "reopen after a kill failed: \(list.stderr)")
            return list.stdout.split(separator: "\n").dropFirst().map { line in
                let fields = line.split(separator: "\t")
                return "\(fields[0]) \(fields[4])/\(fields[5])"
            }
        }
        var capacity = start
        var kills = KillSchedule(within: 25_000)
        for round in 0..<rounds {
            let target = capacity + step
            let before = try capacities()
            try kills.runAndKill(["resize", "main", "--max-elements", "\(target)", "--buffer-size", "96K"], in: dir)
            let now = try capacities()
            let expected = ["main \(start)/\(target)", "other 1000/1000"]
            XCTAssertTrue(now == before || now == expected, "round \(round): \(now) is neither \(before) nor \(expected)")
            if now == expected { capacity = target }
            try assertSoundAfterKill(dir, indexFiles: 2, round: round)
        }
        XCTAssertGreaterThan(kills.killed, 1, "some rounds should be killed mid-command")
        let rest = try makeTemporaryFile("rest.fvecs", contents: fvecs(Array(vectors[(start * d)..<(capacity * d)]), dimensions: d))
        try succeed(["insert", "main", rest, "--quiet"], in: dir)
        XCTAssertEqual(try capacities(), ["main \(capacity)/\(capacity)", "other 1000/1000"])
        let check = try CLI.run(["check"], directory: dir)
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
    }

    /// vacuum and reorder write new files swapped in at commit: a kill leaves every live vector and
    /// document, a sound directory, and no file the catalog does not name once a writer opens it.
    func testKillDuringVacuumOrReorderLeavesTheOldOrTheNewIndex() throws {
        let dir = try makeDataDirectory()
        let d = 16
        let count = 3000
        let lines = (0..<count).map { i in
            "{\"id\": \(i), \"vector\": [\((0..<d).map { "\(Double(($0 * 7 + i) % 13) + Double(i % 97) / 97)" }.joined(separator: ","))], "
                + "\"category\": \"c\(i % 3)\"}"
        }
        let data = try makeTemporaryFile("docs.jsonl", contents: Data((lines.joined(separator: "\n") + "\n").utf8))
        try succeed(["create", "docs", "--dim", "\(d)", "--max-elements", "\(count)", "--M", "8", "--ef-construction", "40",
                     "--field", "category:string", "--index-field", "category"], in: dir)
        try succeed(["insert", "docs", data, "--quiet"], in: dir)
        try succeed(["delete", "docs"] + (0..<count).filter { $0 % 2 == 1 }.map(String.init), in: dir)
        func documents() throws -> String {
            let result = try CLI.run(["get", "docs", "--where", "category = 'c1'", "--format", "tsv"], directory: dir)
            XCTAssertEqual(result.status, 0, "reopen after a kill failed: \(result.stderr)")
            return result.stdout
        }
        let committed = try documents()
        XCTAssertEqual(committed.split(separator: "\n").count, 1 + count / 6)
        var kills = KillSchedule(within: 300_000)
        for round in 0..<8 {
            try kills.runAndKill([round % 2 == 0 ? "vacuum" : "reorder", "docs", "--buffer-size", "96K"], in: dir)
            XCTAssertEqual(try documents(), committed, "round \(round)")
            try assertSoundAfterKill(dir, indexFiles: 2, round: round)
        }
        XCTAssertGreaterThan(kills.killed, 1, "some rounds should be killed mid-command")
    }

    /// The same for the document commands: insert with fields, update, alter and index.
    func testKillDuringDocumentCommandsLeavesACommittedState() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "docs", "--dim", "8", "--max-elements", "20000", "--M", "8", "--ef-construction", "40",
                     "--field", "category:string", "--field", "price:float", "--index-field", "category"], in: dir)
        func documentState() throws -> String {
            let info = try CLI.run(["info", "docs", "--format", "json"], directory: dir)
            XCTAssertEqual(info.status, 0, "reopen after a kill failed: \(info.stderr)")
            let fields = info.stdout.components(separatedBy: "\"fields\":").last?.components(separatedBy: ",\"document_space").first ?? ""
            let prices = try CLI.run(["get", "docs", "--where", "price >= 0 OR category = 'c1'", "--fields", "price,category",
                                      "--format", "tsv"], directory: dir)
            XCTAssertEqual(prices.status, 0, prices.stderr)
            return fields + "\n" + prices.stdout
        }
        var committed = try documentState()
        var kills = KillSchedule(within: 80_000)
        var nextID = 0
        for round in 0..<16 {
            let operation: [String]
            switch round % 4 {
            case 0:
                let lines = (nextID..<nextID + 1500).map { i in
                    "{\"id\": \(i), \"vector\": [\((0..<8).map { "\(Double(($0 * 7 + i) % 13))" }.joined(separator: ","))], "
                        + "\"category\": \"c\(i % 3)\", \"price\": \(i % 10)}"
                }
                let file = try makeTemporaryFile("chunk\(round).jsonl", contents: Data((lines.joined(separator: "\n") + "\n").utf8))
                operation = ["insert", "docs", file, "--quiet", "--buffer-size", "96K"]
            case 1:
                operation = ["update", "docs"] + (0..<min(nextID, 60)).map(String.init) + ["--set", "price=\(round)"]
            case 2:
                operation = ["alter", "docs", "--add-field", "f\(round):int"]
            default:
                operation = ["index", "docs", "f\(round - 1)"]
            }
            try kills.runAndKill(operation, in: dir)
            let check = try CLI.run(["check"], directory: dir)
            XCTAssertEqual(check.status, 0, "round \(round): \(check.stdout) \(check.stderr)")
            let now = try documentState()
            if now != committed {
                // The command committed: run it again to learn the state it commits (idempotent
                // commands give it directly; insert and alter refuse a second run and change nothing).
                let again = try CLI.run(operation, directory: dir)
                let expected = try documentState()
                XCTAssertEqual(now, expected, "round \(round) \(operation[0]) left a state that is neither before nor after (\(again.stderr))")
            }
            if round % 4 == 0 && now != committed { nextID += 1500 }
            committed = try documentState()
        }
        XCTAssertGreaterThan(kills.killed, 1, "some rounds should be killed mid-command")
    }

    func testKillDuringTextHeavyCommandsLeavesACommittedState() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "docs", "--dim", "4", "--max-elements", "20000", "--M", "8", "--ef-construction", "40", "--field", "body:text"], in: dir)
        let words = ["lock", "file", "timeout", "network", "page", "buffer", "journal", "commit", "signal", "kernel", "socket", "thread"]
        func textState() throws -> String {
            var state = ""
            for query in ["lock timeout", "\"page buffer\"", "+journal -kernel", "signal"] {
                let result = try CLI.run(["search", "docs", "--text", query, "-k", "20", "--format", "tsv"], directory: dir)
                XCTAssertEqual(result.status, 0, "search after a kill failed: \(result.stderr)")
                state += result.stdout
            }
            return state
        }
        var committed = try textState()
        var kills = KillSchedule(within: 150_000)
        var nextID = 0
        for round in 0..<12 {
            let operation: [String]
            switch round % 3 {
            case 0:
                let lines = (nextID..<nextID + 2000).map { i in
                    "{\"id\": \(i), \"vector\": [\(i % 7), \(i % 11), \(i % 13), 1], \"body\": \""
                        + (0..<(20 + i % 30)).map { words[($0 * 7 + i * 3 + $0 * i) % words.count] }.joined(separator: " ") + "\"}"
                }
                let file = try makeTemporaryFile("text\(round).jsonl", contents: Data((lines.joined(separator: "\n") + "\n").utf8))
                operation = ["insert", "docs", file, "--quiet", "--buffer-size", "96K"]
            case 1:
                operation = ["update", "docs"] + (0..<min(nextID, 80)).map(String.init) + ["--set", "body=page buffer round \(round)"]
            default:
                operation = ["delete", "docs"] + (0..<min(nextID, 40)).map { String($0 * 3 + round) }
            }
            try kills.runAndKill(operation, in: dir)
            let check = try CLI.run(["check"], directory: dir)
            XCTAssertEqual(check.status, 0, "round \(round): \(check.stdout) \(check.stderr)")
            let now = try textState()
            if now != committed {
                // The command committed: a second run of it changes nothing more (insert and
                // delete refuse the ids they already handled; update sets the same text).
                let again = try CLI.run(operation, directory: dir)
                XCTAssertEqual(now, try textState(), "round \(round) \(operation[0]) left a state that is neither before nor after (\(again.stderr))")
            }
            if round % 3 == 0 { nextID += 2000 }
            committed = try textState()
        }
        XCTAssertGreaterThan(kills.killed, 1, "some rounds should be killed mid-command")
    }
}

extension XCTestCase {
    /// After a round of a command that writes new files and swaps them in at commit: the directory
    /// checks sound, and once a writer has opened it (which removes a killed command's unfinished
    /// file) exactly `indexFiles` index files remain.
    func assertSoundAfterKill(_ dir: String, indexFiles: Int, round: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let check = try CLI.run(["check"], directory: dir)
        XCTAssertEqual(check.status, 0, "round \(round): \(check.stdout) \(check.stderr)", file: file, line: line)
        try succeed(["flush"], in: dir)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("index_") }
        XCTAssertEqual(files.count, indexFiles, "round \(round): \(files)", file: file, line: line)
    }
}

/// Sends SIGKILL to commands at random instants within a window. Whenever a command finishes
/// before its kill, the window shrinks by a third: a guess measured on a cold first run, or made
/// for a slower machine, would otherwise let most rounds finish and leave the test checking
/// little but whole commands.
struct KillSchedule {
    private(set) var window: UInt32
    private(set) var killed = 0
    private var rng = SystemRandomNumberGenerator()

    init(within microseconds: UInt32) {
        window = max(1000, microseconds)
    }

    /// Starts `caliby` with `operation` and kills it within the window; true when the signal
    /// ended it (false: it had finished).
    @discardableResult
    mutating func runAndKill(_ operation: [String], in dir: String) throws -> Bool {
        let process = CLI.start(operation, directory: dir)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        usleep(UInt32.random(in: 0..<window, using: &rng))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        if process.terminationReason == .uncaughtSignal {
            killed += 1
            return true
        }
        window = max(1000, window / 3 * 2)
        return false
    }
}
