import Foundation
import XCTest

/// What others may do to a data directory behind caliby's back: remove the lock file of a running
/// writer, plant symbolic links, damage or put back a hot journal. None of it may lose a commit,
/// write outside the directory, or apply a journal that does not belong.
final class HostileDirectoryTests: XCTestCase {
    private func directoryWithIndex() throws -> (dir: String, csv: String) {
        let dir = try makeDataDirectory()
        try succeed(["create", "v", "--dim", "2", "--max-elements", "1000"], in: dir)
        let rows = (0..<200).map { "\($0),\($0 % 7)" }.joined(separator: "\n") + "\n"
        let csv = try makeTemporaryFile("rows.csv", contents: Data(rows.utf8))
        return (dir, csv)
    }

    /// The live count `list` shows for index v.
    private func count(_ dir: String) throws -> String {
        let rows = try succeed(["list", "--format", "tsv"], in: dir).split(separator: "\n").map { $0.split(separator: "\t") }
        return rows.first { $0.first == "v" }.map { String($0[4]) } ?? "no index v"
    }

    /// The case: a session with an uncommitted insert loses its lock file. A second writer
    /// must not run beside it, and the session still commits once nobody else changed anything.
    func testRemovedLockFileLetsNoSecondWriterRunBesideAnUncommittedInsert() throws {
        let (dir, csv) = try directoryWithIndex()
        let session = try startRepl(in: dir)
        session.send("insert v \(csv) --quiet")
        XCTAssertTrue(poll(timeout: 20, every: 0.05) { FileManager.default.fileExists(atPath: dir + "/caliby.journal") },
                      "the session's insert never started a transaction")
        try FileManager.default.removeItem(atPath: dir + "/.caliby.lock")
        try expectFailure(["insert", "v", csv], in: dir, status: 75, mentions: ["another process", "transaction"])
        session.send("flush")
        session.send("quit")
        let result = session.finish()
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try count(dir), "200", "the session's insert committed, the refused one did not")
        try succeed(["check"], in: dir)
    }

    /// If another writer did commit while the lock file was gone, the session's view is stale:
    /// committing it would overwrite that commit, so it is refused and the other commit survives.
    func testSessionThatLostItsLockToACommitCommitsNothing() throws {
        let (dir, csv) = try directoryWithIndex()
        try succeed(["create", "kept", "--dim", "2", "--max-elements", "10"], in: dir)
        let session = try startRepl(in: dir)
        session.send("drop v")
        session.send("list --names-only")
        XCTAssertTrue(session.waitForOutput("kept\n"), "the session ran its drop")
        try FileManager.default.removeItem(atPath: dir + "/.caliby.lock")
        try succeed(["insert", "v", csv, "--quiet"], in: dir)
        session.send("flush")
        try session.closeInput()
        let result = session.finish()
        XCTAssertEqual(result.status, 75, result.stderr)
        XCTAssertTrue(result.stderr.contains("lost the directory lock"), result.stderr)
        XCTAssertEqual(try count(dir), "200", "the other writer's insert survives the session")
        try succeed(["check"], in: dir)
    }

    func testSymbolicLinksInTheDirectoryAreRefusedAndNeverFollowed() throws {
        let (dir, csv) = try directoryWithIndex()
        let elsewhere = try makeTemporaryDirectory()
        let victim = elsewhere + "/victim"
        try Data("precious\n".utf8).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.createSymbolicLink(atPath: dir + "/caliby.journal", withDestinationPath: victim)
        try expectFailure(["insert", "v", csv], in: dir, status: 76, mentions: ["caliby.journal", "symbolic link"])
        XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "precious\n", "the link's target was written")
        try FileManager.default.removeItem(atPath: dir + "/caliby.journal")
        try succeed(["insert", "v", csv, "--quiet"], in: dir)

        // A dangling lock-file link must not make even a reader create a file elsewhere.
        try FileManager.default.removeItem(atPath: dir + "/.caliby.lock")
        try FileManager.default.createSymbolicLink(atPath: dir + "/.caliby.lock", withDestinationPath: elsewhere + "/planted")
        try expectFailure(["list"], in: dir, status: 76, mentions: [".caliby.lock", "symbolic link"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: elsewhere + "/planted"))
        try FileManager.default.removeItem(atPath: dir + "/.caliby.lock")
        XCTAssertEqual(try count(dir), "200")
    }

    /// A hot journal damaged after it was written is refused by every command, readers too, with
    /// the directory untouched; `recover --discard-journal` sets it aside.
    func testDamagedHotJournalIsRefusedUntilSetAside() throws {
        let (dir, csv) = try directoryWithIndex()
        try succeed(["insert", "v", csv, "--quiet"], in: dir)
        // Kill an insert once its journal holds counted records (a small pool evicts early).
        let big = try makeTemporaryFile("big.csv", contents: Data((0..<20000).map { "\($0),\($0 % 13)" }.joined(separator: "\n").utf8))
        try succeed(["create", "w", "--dim", "2", "--max-elements", "100000"], in: dir)
        let insert = try RunningProcess(CLI.start(["insert", "w", big, "--quiet", "--buffer-size", "64K"], directory: dir))
        let journal = dir + "/caliby.journal"
        XCTAssertTrue(poll(timeout: 30, every: 0.01) {
            ((try? FileManager.default.attributesOfItem(atPath: journal)[.size] as? Int) ?? 0) > 64 * 1024
        }, "the insert never wrote a journal")
        kill(insert.process.processIdentifier, SIGKILL)
        _ = insert.finish()
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: journal)))
        bytes[600] ^= 0xFF  // inside the first record, which the header counts once anything was evicted
        try Data(bytes).write(to: URL(fileURLWithPath: journal))
        let before = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        for command in [["list"], ["check"], ["insert", "v", csv]] {
            try expectFailure(command, in: dir, status: 76, mentions: ["caliby.journal", "hot journal not applied", "caliby recover"])
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), before)
        let recovered = try succeed(["recover", "--discard-journal"], in: dir)
        XCTAssertTrue(recovered.contains("caliby.journal.discarded"), recovered)
        XCTAssertTrue(FileManager.default.fileExists(atPath: journal + ".discarded"))
        XCTAssertEqual(try succeed(["list", "--names-only"], in: dir), "v\nw\n")
    }

    func testRecoverSaysWhatItFound() throws {
        let (dir, _) = try directoryWithIndex()
        XCTAssertEqual(try succeed(["recover"], in: dir), "nothing to recover\n")
        XCTAssertEqual(try succeed(["recover", "--discard-journal"], in: dir), "no journal to set aside\nnothing to recover\n")
    }
}
