import Foundation
import XCTest

/// Runs the built `caliby` binary as a user would: a child process with arguments, environment and
/// optional standard input; captures stdout, stderr and the exit status.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum CLI {
    /// `.build/<config>/caliby`, beside the test bundle (override with $CALIBY_BIN).
    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["CALIBY_BIN"] { return path }
        let bundle = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL
            ?? URL(fileURLWithPath: CommandLine.arguments[0])
        return bundle.deletingLastPathComponent().appendingPathComponent("caliby").path
    }()

    @discardableResult
    static func run(_ arguments: [String], directory: String? = nil, input: String? = nil,
                    environment: [String: String] = [:]) throws -> CLIResult {
        try Tools.run(start(arguments, directory: directory, environment: environment), input: input)
    }

    /// A configured, not yet started process (for tests that kill or hold it).
    static func start(_ arguments: [String], directory: String?, environment: [String: String] = [:]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = (directory.map { ["--dir", $0] } ?? []).isEmpty ? arguments : withDirectory(arguments, directory!)
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "CALIBY_DIR")
        env.removeValue(forKey: "CALIBY_BUFFER_SIZE")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        return process
    }

    /// Global options go after the subcommand name (`caliby list --dir D`).
    private static func withDirectory(_ arguments: [String], _ directory: String) -> [String] {
        guard let first = arguments.first else { return ["--dir", directory] }
        return [first, "--dir", directory] + arguments.dropFirst()
    }
}

extension XCTestCase {
    /// A fresh, initialized data directory removed after the test.
    func makeDataDirectory(initialize: Bool = true) throws -> String {
        let path = NSTemporaryDirectory() + "caliby-cli-" + UUID().uuidString
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        if initialize {
            let result = try CLI.run(["init"], directory: path)
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        return path
    }

    /// An empty directory removed after the test.
    func makeTemporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "caliby-files-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    /// A `caliby repl` session that keeps running until the test ends its input (or the test ends).
    func startRepl(in dir: String, options: [String] = []) throws -> RunningProcess {
        let session = try RunningProcess(CLI.start(["repl"] + options, directory: dir))
        addTeardownBlock { if session.process.isRunning { session.process.terminate() } }
        return session
    }

    /// What bash offers, through completions/caliby.bash, for the words typed so far (the last
    /// one is the word being completed), sorted. Skips the test where there is no bash.
    func bashCompletions(_ words: [String], environment: [String: String] = [:],
                         file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        guard let bash = Tools.find("bash") else { throw XCTSkip("bash is not installed") }
        let script = """
            source "$0"
            COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
            _caliby caliby "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let result = try Tools.run(bash, ["-c", script, Tools.packageRoot + "/completions/caliby.bash", "caliby"] + words,
                                   environment: ["PATH": Tools.pathWithCaliby].merging(environment) { $1 })
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        return result.stdout.split(separator: "\n").map(String.init).sorted()
    }

    /// Asserts a command fails with `status` and one line on stderr that mentions every word.
    func expectFailure(_ arguments: [String], in dir: String, input: String? = nil, status: Int32,
                       mentions: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try CLI.run(arguments, directory: dir, input: input)
        XCTAssertEqual(result.status, status, "\(arguments): \(result.stderr)", file: file, line: line)
        for word in mentions { XCTAssertTrue(result.stderr.contains(word), "\(arguments): \(result.stderr)", file: file, line: line) }
        XCTAssertEqual(result.stderr.trimmingCharacters(in: .newlines).split(separator: "\n").count, 1,
                       "one line: \(result.stderr)", file: file, line: line)
    }

    func makeTemporaryFile(_ name: String, contents: Data) throws -> String {
        let path = try makeTemporaryDirectory() + "/" + name
        try contents.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Asserts a command succeeded and returns its stdout.
    @discardableResult
    func succeed(_ arguments: [String], in directory: String, input: String? = nil,
                 file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try CLI.run(arguments, directory: directory, input: input)
        XCTAssertEqual(result.status, 0, "caliby \(arguments.joined(separator: " ")): \(result.stderr)", file: file, line: line)
        return result.stdout
    }
}

/// .fvecs bytes for `vectors` (row-major, `dimensions` each).
func fvecs(_ vectors: [Float], dimensions: Int) -> Data {
    var data = Data()
    for row in stride(from: 0, to: vectors.count, by: dimensions) {
        var d = Int32(dimensions)
        withUnsafeBytes(of: &d) { data.append(contentsOf: $0) }
        vectors[row..<row + dimensions].withUnsafeBytes { data.append(contentsOf: $0) }
    }
    return data
}

/// Clustered pseudo-random vectors from a seed (SplitMix64 + Box-Muller).
func testVectors(count: Int, dimensions: Int, seed: UInt64) -> [Float] {
    var state = seed
    func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / 9_007_199_254_740_992.0
    }
    func gaussian() -> Float { Float((-2 * log(max(next(), 1e-12))).squareRoot() * cos(2 * .pi * next())) }
    let centres = (0..<10 * dimensions).map { _ in gaussian() * 10 }
    return (0..<count).flatMap { _ -> [Float] in
        let c = Int(next() * 10) % 10
        return (0..<dimensions).map { centres[c * dimensions + $0] + gaussian() * 2 }
    }
}
