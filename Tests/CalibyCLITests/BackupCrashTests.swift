import Foundation
import XCTest

/// SIGKILL at random instants during backup and restore: the destination is absent or a whole
/// copy, the target is the old directory or the new one, never a mix, and the next run to the
/// same name removes what a killed one left (StagingDirectory's invariants).
final class BackupCrashTests: XCTestCase {
    func testKillDuringBackupLeavesNoCopyOrAWholeOne() throws {
        let source = try makeSource()
        let expected = try answers(source)
        let parent = try makeTemporaryDirectory()
        // Kills land within the time a whole backup takes (less after rounds that finish first), so most land mid-command.
        let window = try microseconds { try succeed(["backup", parent + "/timed"], in: source) }
        var kills = KillSchedule(within: window)
        for round in 0..<15 {
            // Three names, reused, so that later rounds meet what earlier kills left.
            let destination = parent + "/b\(round % 3)"
            try? FileManager.default.removeItem(atPath: destination)
            try kills.runAndKill(["backup", destination], in: source)
            if FileManager.default.fileExists(atPath: destination) {
                XCTAssertEqual(try succeed(["check"], in: destination), "h: ok\na: ok\ndocs: ok\nbig: ok\n", "round \(round)")
                XCTAssertEqual(try listWithoutBytes(destination), expected[0], "round \(round)")
            }
        }
        XCTAssertGreaterThan(kills.killed, 2, "some rounds should be killed mid-command")
        for n in 0..<3 {
            let destination = parent + "/b\(n)"
            try? FileManager.default.removeItem(atPath: destination)
            try succeed(["backup", destination], in: source)
            XCTAssertEqual(try leftovers(destination), [])
            XCTAssertEqual(try answers(destination), expected)
        }
        XCTAssertEqual(try succeed(["check"], in: source), "h: ok\na: ok\ndocs: ok\nbig: ok\n")
    }

    func testKillDuringRestoreLeavesTheOldDirectoryOrTheNew() throws {
        let source = try makeSource()
        let backups = try makeTemporaryDirectory()
        try succeed(["backup", backups + "/new"], in: source)
        let target = try copyOfFixture()
        try succeed(["backup", backups + "/old"], in: target)
        let states = [try listWithoutBytes(target), try listWithoutBytes(backups + "/new")]
        XCTAssertNotEqual(states[0], states[1])
        let window = try microseconds { try succeed(["restore", backups + "/old", "--into", target], in: source) }
        var kills = KillSchedule(within: window)
        for round in 0..<14 {
            let backup = backups + (round % 2 == 0 ? "/new" : "/old")
            try kills.runAndKill(["restore", backup, "--into", target], in: source)
            let now = try listWithoutBytes(target)
            XCTAssertTrue(states.contains(now), "round \(round): \(now)")
            let check = try CLI.run(["check"], directory: target)
            XCTAssertEqual(check.status, 0, "round \(round): \(check.stdout) \(check.stderr)")
        }
        XCTAssertGreaterThan(kills.killed, 2, "some rounds should be killed mid-command")
        try succeed(["restore", backups + "/new", "--into", target], in: source)
        XCTAssertEqual(try leftovers(target), [])
        XCTAssertEqual(try answers(target), try answers(source))
    }

    /// How long `body` takes, in microseconds.
    private func microseconds(_ body: () throws -> Void) throws -> UInt32 {
        let start = Date()
        try body()
        return UInt32(max(1000, Date().timeIntervalSince(start) * 1e6))
    }
}
