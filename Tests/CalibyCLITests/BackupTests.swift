import Foundation
import XCTest

/// `caliby backup` and `caliby restore` as a user runs them (issue 16).
final class BackupTests: XCTestCase {
    func testBackupWhileSearchesRunEqualsTheSource() throws {
        let source = try makeSource()
        let expected = try answers(source)
        let destination = try makeTemporaryDirectory() + "/copy"
        // A search that holds the shared lock throughout, and others starting and ending meanwhile.
        let reader = try hold(["search", "big", "--file", "-", "--format", "csv"], in: source)
        let result = try shell("""
            (for i in $(seq 10); do caliby search big --file '\(try bigQueries())' --dir '\(source)' > /dev/null || exit 9; done) &
            loop=$!
            caliby backup '\(destination)' --dir '\(source)' || exit 1
            wait $loop
            """)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("backed up 4 indexes, 6 files,"), result.stdout)
        reader.send(Array(repeating: "0.5", count: 32).joined(separator: ",") + "\n")
        try reader.closeInput()
        let searched = reader.finish()
        XCTAssertEqual(searched.status, 0, searched.stderr)
        XCTAssertEqual(searched.stdout.split(separator: "\n").count, 11, "the reader kept searching: \(searched.stdout)")
        XCTAssertEqual(try succeed(["check"], in: destination), "h: ok\na: ok\ndocs: ok\nbig: ok\n")
        XCTAssertEqual(try answers(destination), expected)
        XCTAssertEqual(try leftovers(destination), [])
    }

    func testABackupOfSomeIndexesHoldsThoseUnderTheirIds() throws {
        let source = try makeSource()
        let destination = try makeTemporaryDirectory() + "/some"
        try succeed(["backup", destination, "docs", "h"], in: source)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: destination).sorted(),
                       ["caliby_catalog", "index_1.dat", "index_3.dat", "index_3.docs"])
        XCTAssertEqual(try listWithoutBytes(destination).split(separator: "\n").map { $0.prefix { $0 != "\t" } }, ["name", "h", "docs"])
        let queries = FormatFixtureTests.fixtures + "/format-1/queries.csv"
        for index in ["h", "docs"] {
            XCTAssertEqual(try succeed(["search", index, "--file", queries], in: destination),
                           try succeed(["search", index, "--file", queries], in: source), index)
        }
        // The copy is a data directory like any other: it takes new indexes, with fresh ids.
        try succeed(["create", "later", "--dim", "4", "--max-elements", "10"], in: destination)
        XCTAssertTrue(FileManager.default.fileExists(atPath: destination + "/index_5.dat"))
    }

    func testBackupRefusesAnExistingDestinationAndADamagedSourceLeavingNothing() throws {
        let source = try makeSource()
        let parent = try makeTemporaryDirectory()
        try FileManager.default.createDirectory(atPath: parent + "/taken", withIntermediateDirectories: false)
        try expectFailure(["backup", parent + "/taken"], in: source, status: 64, mentions: ["taken exists already"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent + "/taken"), [])

        let path = source + "/index_2.dat"
        let file = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try file.seek(toOffset: 2 * 4096 + 100)
        let byte = try file.read(upToCount: 1)!
        try file.seek(toOffset: 2 * 4096 + 100)
        file.write(Data([byte[0] ^ 0x40]))
        try file.close()
        try expectFailure(["backup", parent + "/copy"], in: source, status: 76,
                          mentions: ["\(path): data is damaged: page 2: checksum mismatch"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent), ["taken"])
        // The indexes that are sound still back up.
        try succeed(["backup", parent + "/copy", "h", "docs", "big"], in: source)
    }

    func testTheArchiveStreamExtractsWithTarAndRestoresFromStandardInput() throws {
        guard Tools.find("tar") != nil else { throw XCTSkip("tar is not installed") }
        let source = try makeSource()
        let expected = try answers(source)
        let work = try makeTemporaryDirectory()
        let made = try shell("caliby backup --to - --dir '\(source)' > '\(work)/b.tar'")
        XCTAssertEqual(made.status, 0, made.stderr)
        XCTAssertTrue(made.stderr.hasPrefix("backed up 4 indexes, 6 files,") && made.stderr.hasSuffix("to stdout\n"), made.stderr)
        let listing = try shell("tar -tf '\(work)/b.tar'")
        XCTAssertEqual(listing.stdout.split(separator: "\n"),
                       ["index_1.dat", "index_2.dat", "index_3.dat", "index_3.docs", "index_4.dat", "caliby_catalog"])
        XCTAssertEqual(try shell("mkdir '\(work)/x' && tar -xf '\(work)/b.tar' -C '\(work)/x'").status, 0)
        XCTAssertEqual(try succeed(["check"], in: work + "/x"), "h: ok\na: ok\ndocs: ok\nbig: ok\n")
        XCTAssertEqual(try answers(work + "/x"), expected)

        let restored = try shell("caliby restore - --into '\(work)/r' < '\(work)/b.tar'")
        XCTAssertEqual(restored.status, 0, restored.stderr)
        XCTAssertTrue(restored.stdout.hasPrefix("restored 4 indexes, 6 files,"), restored.stdout)
        XCTAssertEqual(try answers(work + "/r"), expected)

        // Cut short, the archive has no catalog: refused, the target as it was.
        let size = try FileManager.default.attributesOfItem(atPath: work + "/b.tar")[.size] as! Int
        let cut = try shell("head -c \(size / 2) '\(work)/b.tar' | caliby restore - --into '\(work)/r'")
        XCTAssertEqual(cut.status, 76, cut.stderr)
        XCTAssertTrue(cut.stderr.contains("backup failed verification, \(work)/r left as it was") && cut.stderr.contains("ends early"), cut.stderr)
        XCTAssertEqual(cut.stderr.components(separatedBy: "<stdin>").count, 2, "the stream is named once: \(cut.stderr)")
        XCTAssertEqual(try answers(work + "/r"), expected)
        XCTAssertEqual(try leftovers(work + "/r"), [])
    }

    func testRestoreRefusesADamagedBackupAndLeavesTheTargetUntouched() throws {
        let source = try makeSource()
        let backups = try makeTemporaryDirectory()
        try succeed(["backup", backups + "/good"], in: source)
        try succeed(["backup", backups + "/bad"], in: source)
        let target = try copyOfFixture()
        try succeed(["drop", "a"], in: target)
        let before = try answersOfTarget(target)
        let files = try snapshot(target)

        // A page whose checksum fails, and a page that verifies but breaks the structure check finds.
        let flipped = backups + "/bad/index_4.dat"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: flipped))
        bytes[3 * 4096 + 7] ^= 1
        try bytes.write(to: URL(fileURLWithPath: flipped))
        try expectFailure(["restore", backups + "/bad", "--into", target], in: source, status: 76,
                          mentions: ["backup failed verification, \(target) left as it was", "index_4.dat", "page 3: checksum mismatch"])
        XCTAssertEqual(try snapshot(target), files)

        bytes[3 * 4096 + 7] ^= 1
        try bytes.write(to: URL(fileURLWithPath: flipped))
        try patchPage(flipped, page: 0) { $0.storeBytes(of: UInt64(999_999), toByteOffset: 5 * 8, as: UInt64.self) }
        try expectFailure(["restore", backups + "/bad", "--into", target], in: source, status: 76,
                          mentions: ["backup failed verification, \(target) left as it was", "nodeCount"])
        XCTAssertEqual(try snapshot(target), files)
        XCTAssertEqual(try answersOfTarget(target), before)
        XCTAssertEqual(try leftovers(target), [])

        let restored = try CLI.run(["restore", backups + "/good", "--into", target])
        XCTAssertEqual(restored.status, 0, restored.stderr)
        XCTAssertEqual(try answers(target), try answers(source))
        XCTAssertEqual(try leftovers(target), [])
    }

    func testRestoreRefusesATargetInUseOrThatIsNoDataDirectory() throws {
        let source = try makeSource()
        let backup = try makeTemporaryDirectory() + "/b"
        try succeed(["backup", backup, "h"], in: source)
        let target = try makeDataDirectory()
        try succeed(["create", "held", "--dim", "2", "--max-elements", "10"], in: target)
        let writer = try hold(["insert", "held", "-", "--format", "csv", "--quiet"], in: target)
        try expectFailure(["restore", backup, "--into", target], in: source, status: 75, mentions: ["already locked: \(target)"])
        try writer.closeInput()
        XCTAssertEqual(writer.finish().status, 0)
        XCTAssertEqual(try listWithoutBytes(target).split(separator: "\n").count, 2, "held is still there")

        let other = try makeTemporaryDirectory()
        XCTAssertTrue(FileManager.default.createFile(atPath: other + "/notes.txt", contents: Data("mine".utf8)))
        try expectFailure(["restore", backup, "--into", other], in: source, status: 64, mentions: ["neither a data directory nor empty"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: other), ["notes.txt"])
    }

    private func answersOfTarget(_ dir: String) throws -> [String] {
        let queries = FormatFixtureTests.fixtures + "/format-1/queries.csv"
        return try [listWithoutBytes(dir)] + ["h", "docs"].map { try succeed(["search", $0, "--file", queries], in: dir) }
    }
}

/// What the backup tests share.
extension XCTestCase {
    /// The fixture's HNSW, DiskANN and document indexes, and a larger HNSW index so a copy takes a while.
    func makeSource() throws -> String {
        let dir = try copyOfFixture()
        let data = try makeTemporaryFile("big.fvecs", contents: fvecs(testVectors(count: 3000, dimensions: 32, seed: 5), dimensions: 32))
        try succeed(["create", "big", "--dim", "32", "--max-elements", "5000"], in: dir)
        try succeed(["insert", "big", data, "--quiet"], in: dir)
        return dir
    }

    /// 20 queries for `big`.
    func bigQueries() throws -> String {
        try makeTemporaryFile("q.fvecs", contents: fvecs(testVectors(count: 20, dimensions: 32, seed: 6), dimensions: 32))
    }

    /// What a user compares: the list and the answers of every index to the same queries.
    func answers(_ dir: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let queries = FormatFixtureTests.fixtures + "/format-1/queries.csv"
        return try [listWithoutBytes(dir, file: file, line: line),
                    succeed(["search", "big", "--file", bigQueries(), "-k", "10"], in: dir, file: file, line: line),
                    succeed(["search", "docs", "--text", "gamma lock", "--fields", "title"], in: dir, file: file, line: line)]
            + ["h", "a", "docs"].map { try succeed(["search", $0, "--file", queries, "-k", "5"], in: dir, file: file, line: line) }
    }

    /// Runs a bash script with the built caliby first on PATH.
    func shell(_ script: String) throws -> CLIResult {
        guard let bash = Tools.find("bash") else { throw XCTSkip("bash is not installed") }
        return try Tools.run(bash, ["-c", script], environment: ["PATH": Tools.pathWithCaliby])
    }

    /// Names in `dir`'s parent that a backup or restore stages under.
    func leftovers(_ dir: String) throws -> [String] {
        let url = URL(fileURLWithPath: dir)
        let base = url.lastPathComponent
        return try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
            .filter { $0.hasPrefix(base + ".backup-") || $0.hasPrefix(base + ".restore-") }
    }

    /// Every file's bytes, by name (the lock file aside).
    func snapshot(_ dir: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) where name != ".caliby.lock" {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
        }
        return files
    }
}
