import Foundation
import XCTest

/// The library as another package uses it: examples/swift-library depends on a tagged copy of this
/// tree by URL and version, the way a program depends on a release, so SwiftPM applies every rule
/// it applies to a remote dependency (no unsafe flags, only public API). The documentation shows
/// the example's programs verbatim.
final class SwiftLibraryTests: XCTestCase {
    private static let example = Tools.packageRoot + "/examples/swift-library"

    func testExamplePackageBuildsAgainstATaggedReleaseAndRuns() throws {
        guard let git = Tools.find("git"), let swift = Tools.find("swift") else { throw XCTSkip("needs git and swift on PATH") }
        let work = try makeTemporaryDirectory()

        // A release: this tree's files as they are now (tracked or new, not ignored), committed and tagged.
        let release = work + "/caliby"
        let listed = try Tools.run(git, ["-C", Tools.packageRoot, "ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        for path in Set(listed.stdout.split(separator: "\0").map(String.init)) {
            let source = Tools.packageRoot + "/" + path
            guard FileManager.default.fileExists(atPath: source) else { continue }  // deleted, not yet committed
            let target = URL(fileURLWithPath: release + "/" + path)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: source, toPath: target.path)
        }
        let identity = ["-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false"]
        for arguments in [["init", "-q"], ["add", "-A"], identity + ["commit", "-qm", "release"], ["tag", "1.0.0"]] {
            let result = try Tools.run(git, ["-C", release] + arguments)
            XCTAssertEqual(result.status, 0, "git \(arguments): \(result.stderr)")
        }

        // The example, depending on that release by URL and version instead of by path.
        let package = work + "/example"
        try FileManager.default.createDirectory(atPath: package, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.example + "/Sources", toPath: package + "/Sources")
        let manifest = try String(contentsOfFile: Self.example + "/Package.swift", encoding: .utf8)
        let local = #".package(name: "caliby", path: "../..")"#
        XCTAssertTrue(manifest.contains(local), "the example's manifest no longer depends on \(local)")
        try manifest.replacingOccurrences(of: local, with: #".package(url: "file://\#(release)", from: "1.0.0")"#)
            .write(toFile: package + "/Package.swift", atomically: true, encoding: .utf8)

        let build = try Tools.run(swift, ["build", "--package-path", package], timeout: 1500)
        XCTAssertEqual(build.status, 0, "swift build of the example:\n\(build.stdout)\n\(build.stderr)")
        guard build.status == 0 else { return }
        let products = package + "/.build/debug/"

        // Run twice each: the second run finds what the first committed.
        let quickstart = try (1...2).map { _ in try runIn(work, products + "quickstart") }
        for output in quickstart { XCTAssertTrue(output.hasPrefix("1 0.0025"), output) }
        let first = try runIn(work, products + "catalog", [work + "/data"])
        let second = try runIn(work, products + "catalog", [work + "/data"])
        XCTAssertFalse(first.contains("found index"), first)
        for expected in ["nearest to 7: 7,", "my_index holds 1000 vectors", "temporary: nearest to [0.9, 0.1, 0] is 1"] {
            XCTAssertTrue(first.contains(expected), "missing \(expected) in:\n\(first)")
        }
        for expected in ["found index my_index: 128 dimensions, hnsw", "nearest to 1007: 1007,", "my_index holds 2000 vectors"] {
            XCTAssertTrue(second.contains(expected), "missing \(expected) in:\n\(second)")
        }
    }

    /// Runs a program with `directory` as its working directory; returns its output after
    /// asserting it succeeded.
    private func runIn(_ directory: String, _ program: String, _ arguments: [String] = [],
                       file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let result = try Tools.run(process)
        XCTAssertEqual(result.status, 0, "\(program): \(result.stdout)\(result.stderr)", file: file, line: line)
        return result.stdout
    }

    func testDocumentationShowsTheExampleProgramsVerbatim() throws {
        let quickstart = try String(contentsOfFile: Self.example + "/Sources/quickstart/main.swift", encoding: .utf8)
        let catalog = try String(contentsOfFile: Self.example + "/Sources/catalog/main.swift", encoding: .utf8)
        let readme = try String(contentsOfFile: Tools.packageRoot + "/README.md", encoding: .utf8)
        let article = try String(contentsOfFile: Tools.packageRoot + "/Sources/CalibyEngine/CalibyEngine.docc/GettingStarted.md",
                                 encoding: .utf8)
        XCTAssertTrue(readme.contains("```swift\n" + quickstart + "```\n"), "README's Swift example differs from examples/swift-library quickstart")
        XCTAssertTrue(article.contains("```swift\n" + catalog + "```\n"), "GettingStarted.md differs from examples/swift-library catalog")
    }
}
