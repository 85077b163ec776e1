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
        var rng = SystemRandomNumberGenerator()
        var killed = 0
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
            let process = CLI.start(operation, directory: dir)
            process.standardOutput = Pipe()
            process.standardError = Pipe()
            try process.run()
            usleep(UInt32.random(in: 0..<250_000, using: &rng))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal { killed += 1 }
            let now = try state(dir)
            XCTAssertTrue(possible.contains(now), "round \(round) \(operation[0]): \(now) is neither \(possible[0]) nor \(possible[1])")
            let check = try CLI.run(["check"], directory: dir)
            XCTAssertEqual(check.status, 0, "round \(round): \(check.stdout) \(check.stderr)")
            committed = now
        }
        XCTAssertGreaterThan(killed, 5, "most rounds should be killed mid-command")
        let search = try CLI.run(["search", "main", "--vector", Array(repeating: "1", count: d).joined(separator: ","), "-k", "3"],
                                 directory: dir)
        XCTAssertEqual(search.status, 0, search.stderr)
    }
}
