import Foundation
import XCTest

/// The directory lock as users meet it: separate `caliby` processes.
final class LockTests: XCTestCase {
    /// Starts `caliby insert` reading a pipe we keep open: it holds the write lock until we close it.
    private func holdWriteLock(_ dir: String) throws -> RunningProcess {
        try succeed(["create", "held", "--dim", "2", "--max-elements", "10"], in: dir)
        return try hold(["insert", "held", "-", "--format", "csv", "--quiet"], in: dir)
    }

    /// Starts `caliby search` reading queries from a pipe we keep open: it holds a read lock.
    private func holdReadLock(_ dir: String) throws -> RunningProcess {
        try hold(["search", "held", "--file", "-"], in: dir)
    }

    func testSecondWriterIsRefusedNamingTheHolderAndChangesNothing() throws {
        let dir = try makeDataDirectory()
        let holder = try holdWriteLock(dir)
        let refused = try CLI.run(["create", "other", "--dim", "2", "--max-elements", "10"], directory: dir)
        XCTAssertEqual(refused.status, 75)
        XCTAssertEqual(refused.stderr, "caliby: error: Data directory is already locked: \(dir) (process "
                       + "\(holder.process.processIdentifier) is using it); wait for it with --wait SECONDS or $CALIBY_WAIT\n",
                       "README's words for exit 75, the holder, and the way forward, on one line")
        let reader = try CLI.run(["list"], directory: dir)
        XCTAssertEqual(reader.status, 75, "a reader waits for no writer")
        try holder.closeInput()
        XCTAssertEqual(holder.finish().status, 0)
        XCTAssertEqual(try succeed(["list", "--names-only"], in: dir), "held\n", "the refused create changed nothing")
    }

    func testWaitOptionWaitsForTheLock() throws {
        let dir = try makeDataDirectory()
        let holder = try holdWriteLock(dir)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { try? holder.closeInput() }
        let waited = try CLI.run(["create", "late", "--dim", "2", "--max-elements", "10", "--wait", "20"], directory: dir)
        XCTAssertEqual(waited.status, 0, waited.stderr)
        XCTAssertEqual(holder.finish().status, 0)
    }

    func testWaitEnvironmentVariableWaitsAndTheOptionOverridesIt() throws {
        let dir = try makeDataDirectory()
        let holder = try holdWriteLock(dir)
        let refused = try CLI.run(["list", "--wait", "0"], directory: dir, environment: ["CALIBY_WAIT": "20"])
        XCTAssertEqual(refused.status, 75, "--wait 0 is stronger than $CALIBY_WAIT")
        let bad = try CLI.run(["list"], directory: dir, environment: ["CALIBY_WAIT": "soon"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertEqual(bad.stderr, "caliby: error: CALIBY_WAIT must be a number of seconds, at least 0, got 'soon'\n")
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { try? holder.closeInput() }
        let waited = try CLI.run(["create", "late", "--dim", "2", "--max-elements", "10"], directory: dir,
                                 environment: ["CALIBY_WAIT": "20"])
        XCTAssertEqual(waited.status, 0, waited.stderr)
        XCTAssertEqual(holder.finish().status, 0)
    }

    func testReadersShareTheDirectoryButExcludeWriters() throws {
        let dir = try makeDataDirectory()
        try succeed(["create", "held", "--dim", "2", "--max-elements", "10"], in: dir)
        try succeed(["insert", "held", "-", "--format", "csv"], in: dir, input: "1,2\n3,4\n")
        let reader = try holdReadLock(dir)
        XCTAssertEqual(try succeed(["list", "--names-only"], in: dir), "held\n", "a second reader runs alongside")
        let search = try CLI.run(["search", "held", "--vector", "1,2", "-k", "1", "--format", "tsv"], directory: dir)
        XCTAssertEqual(search.status, 0, search.stderr)
        XCTAssertEqual(search.stdout, "query\trank\tid\tdistance\n0\t1\t0\t0.0\n")
        let writer = try CLI.run(["drop", "held"], directory: dir)
        XCTAssertEqual(writer.status, 75)
        reader.send("1,2")
        try reader.closeInput()
        XCTAssertEqual(reader.finish().status, 0)
        try succeed(["drop", "held"], in: dir)
    }

    func testLockIsFreeAfterTheHolderIsKilled() throws {
        let dir = try makeDataDirectory()
        let holder = try holdWriteLock(dir)
        holder.send("1,2")
        kill(holder.process.processIdentifier, SIGKILL)
        _ = holder.finish()
        XCTAssertEqual(holder.process.terminationReason, .uncaughtSignal)
        let list = try CLI.run(["list", "--format", "tsv"], directory: dir)
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("held\thnsw\t2\tl2\t0\t10"), "the killed insert committed nothing: \(list.stdout)")
        try succeed(["create", "after", "--dim", "2", "--max-elements", "10"], in: dir)
    }
}

extension XCTestCase {
    /// Runs a command that blocks on its standard input, and returns once it holds the directory.
    /// The holder waits for the lock (`--wait`) because the probe that watches for it takes the
    /// write lock for an instant too.
    func hold(_ arguments: [String], in dir: String) throws -> RunningProcess {
        let holder = try RunningProcess(CLI.start(arguments + ["--wait", "30"], directory: dir))
        let locked = poll(timeout: 10, every: 0.05) {
            !holder.process.isRunning || (try? CLI.run(["flush"], directory: dir))?.status == 75
        }
        guard locked, holder.process.isRunning else {
            XCTFail("the holder never took the lock: \(holder.stderr)")
            throw CocoaError(.fileLocking)
        }
        return holder
    }
}
