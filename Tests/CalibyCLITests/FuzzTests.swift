import Foundation
import XCTest

/// Random command lines against a small data directory: whatever the words, caliby must answer with
/// a documented exit status and at most one line of error, never die of a signal or hang, and leave
/// the directory sound.
///
/// The run is reproducible: a fixed seed, and 100 command lines by default so the suite stays quick.
/// For a longer run set CALIBY_FUZZ_ITERATIONS (e.g. 5000), and CALIBY_FUZZ_SEED to try other
/// sequences; a failure prints the seed, the iteration and the words so it can be replayed.
final class FuzzTests: XCTestCase {
    /// Statuses `caliby exit-codes` documents, but 1 (an error no category covers: a bug here) and 130
    /// (nothing interrupts these runs).
    private static let expectedStatuses: Set<Int32> = [0, 64, 65, 66, 67, 68, 74, 75, 76]
    /// Long enough for any command on the tiny directory; a run that takes longer is a hang.
    private static let timeout: TimeInterval = 60

    private struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }
        mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    }

    private static let unknownWords = ["frobnicate", "serch", "creat", "", "-", "--", "list2", "HELP", "é", "..", "/"]
    /// Each command's own options, so that most command lines get past parsing to the command.
    private static let commandOptions: [String: [String]] = [
        "init": [], "flush": [], "check": [], "drop": [], "help": [],
        "create": ["--type", "--dim", "--max-elements", "--metric", "--precision", "--M", "--ef-construction", "--R", "--L",
                   "--alpha", "--pq-bytes"],
        "insert": ["--format", "--id-column", "--labels-column", "--ids", "--labels", "--replace", "--threads", "--commit-every",
                   "--quiet", "-q"],
        "search": ["--vector", "--file", "--input-format", "-k", "--ef", "--L", "--beam-width", "--filter", "--distances",
                   "--threads", "--format", "--groundtruth", "--warmup", "--stats"],
        "delete": ["--ids-file"], "consolidate": ["--threads"], "list": ["--format", "--names-only"], "info": ["--format", "--system"],
        "repl": ["--read-only", "--bail"], "exit-codes": ["--format"],
    ]
    /// Options that take no value.
    private static let flags: Set<String> = ["--replace", "--quiet", "-q", "--warmup", "--stats", "--names-only", "--read-only", "--system",
                                             "--bail", "--help", "--version"]
    private static let globalOptions = ["--buffer-size", "--wait"]
    private static let strayOptions = ["--help", "--version", "--frob", "-x", "--dim=-1", "--vector=-1,2,3,4", "--dir"]
    /// Commands whose first argument is an index name.
    private static let takesName: Set<String> = ["create", "insert", "search", "info", "delete", "consolidate", "drop"]
    private static let names = ["h", "d", "fresh", "fresh2"]
    /// Values that fit some option somewhere, and values that fit none. No capacity or dimension
    /// here may make create write much: a valid one stays small, a huge one is past every limit.
    private static let values = [
        "h", "d", "fresh", "fresh2", "0", "1", "2", "3", "4", "17", "4096", "-1", "-0", "-17", "2147483649",
        "9223372036854775807", "-9223372036854775808", "99999999999999999999", "1e3", "1e30", "0x10", "nan", "-nan", "inf",
        "1.5", "-0.5", "1,2,3,4", "-1,-2,-3,-4", "1,2", "nan,1,2,3", "1 2 3 4", "hnsw", "diskann", "l2", "ip", "cosine",
        "float16", "table", "tsv", "csv", "json", "jsonl", "fvecs", "pq", "exact", "auto", "512M", "1e3G", "64K", "1", "",
        " ", "a\nb", "\t", "\u{1B}[31m", "\u{7F}", "é", "\u{2028}", "'", "\"", "\\", "--", "-", "*", "../x", "/nonexistent",
        String(repeating: "x", count: 100_000), String(repeating: "9", count: 5000), String(repeating: "-1,", count: 3000),
    ]

    /// A command and its name, then options (mostly the command's own, each usually with a value)
    /// and stray words.
    private func commandLine(_ random: inout Random, paths: [String]) -> [String] {
        let known = random.chance(90)
        let command = known ? random.pick(Self.commandOptions.keys.sorted()) : random.pick(Self.unknownWords)
        var words = [command]
        if Self.takesName.contains(command), random.chance(85) {
            words.append(random.chance(80) ? random.pick(Self.names) : random.pick(Self.values))
        }
        if command == "insert", random.chance(70) { words.append(random.pick(paths)) }
        if command == "delete" { words += (0..<random.below(4)).map { _ in random.pick(["0", "1", "7", "39", "40"]) } }
        if command == "create" {
            for option in ["--dim", "--max-elements"] where random.chance(80) {
                words += [option, random.chance(70) ? random.pick(["1", "4", "17", "100"]) : random.pick(Self.values)]
            }
        }
        let own = Self.commandOptions[command] ?? []
        for _ in 0..<random.below(5) {
            let option: String
            switch random.below(20) {
            case 0..<14 where !own.isEmpty: option = random.pick(own)
            case 14..<17: option = random.pick(Self.globalOptions)
            case 17: option = random.pick(Self.strayOptions)
            default:
                words.append(random.chance(20) ? random.pick(paths) : random.pick(Self.values))
                continue
            }
            words.append(option)
            if !Self.flags.contains(option), random.chance(90) {
                let fitting = Self.fitting(option, paths: paths)
                words.append(random.chance(75) && !fitting.isEmpty ? random.pick(fitting)
                             : random.chance(15) ? random.pick(paths) : random.pick(Self.values))
            }
        }
        return words
    }

    /// Values that suit an option, so that some lines succeed and reach deeper than the parser.
    private static func fitting(_ option: String, paths: [String]) -> [String] {
        switch option {
        case "--type": return ["hnsw", "diskann"]
        case "--metric": return ["l2", "ip", "cosine"]
        case "--precision": return ["float32", "float16"]
        case "--format", "--input-format": return ["table", "tsv", "csv", "json", "jsonl", "fvecs"]
        case "--distances": return ["pq", "exact", "auto"]
        case "--vector": return ["1,2,3,4", "-1,-2,-3,-4", "0.5 0 0 1"]
        case "--file", "--ids", "--labels", "--groundtruth", "--ids-file": return paths
        case "--buffer-size": return ["64K", "1M", "512M"]
        case "--alpha": return ["1", "1.2", "4"]
        case "--wait", "--id-column", "--labels-column", "--filter", "--pq-bytes": return ["0", "1", "2", "3"]
        default: return ["1", "2", "4", "8", "17", "64"]
        }
    }

    func testRandomCommandLinesNeverCrashAndAnswerInOneLine() throws {
        let environment = ProcessInfo.processInfo.environment
        let iterations = environment["CALIBY_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 100
        let seed = environment["CALIBY_FUZZ_SEED"].flatMap(UInt64.init) ?? 0xCA11_B7F0
        let dir = try makeDataDirectory()
        let files = try makeTemporaryDirectory()
        let vectors = files + "/v.csv"
        try Data(testVectors(count: 40, dimensions: 4, seed: 1).chunked(4).map { $0.map { "\($0)" }.joined(separator: ",") }
            .joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: vectors))
        try Data("0\n1\n2\n".utf8).write(to: URL(fileURLWithPath: files + "/ids.txt"))
        try Data("1;2\n\n3\n".utf8).write(to: URL(fileURLWithPath: files + "/labels.txt"))
        try succeed(["create", "h", "--dim", "4", "--max-elements", "100"], in: dir)
        try succeed(["create", "d", "--type", "diskann", "--dim", "4", "--max-elements", "100", "--R", "8"], in: dir)
        try succeed(["insert", "h", vectors, "--quiet"], in: dir)
        try succeed(["insert", "d", vectors, "--quiet"], in: dir)
        let paths = [vectors, files + "/ids.txt", files + "/labels.txt", files + "/missing.fvecs", files]

        var random = Random(state: seed)
        var statuses: [Int32: Int] = [:]
        for iteration in 0..<iterations {
            let words = commandLine(&random, paths: paths)
            let process = CLI.start(words, directory: nil, environment: ["CALIBY_DIR": dir, "CALIBY_HISTORY": ""])
            // Relative paths among the words (an index name taken for a file, `../x`) resolve here.
            process.currentDirectoryURL = URL(fileURLWithPath: files)
            let result = try Tools.run(process, timeout: Self.timeout)
            statuses[result.status, default: 0] += 1
            let replay = "seed \(seed) iteration \(iteration): caliby " + words.map { String($0.debugDescription.prefix(80)) }.joined(separator: " ")
            XCTAssertEqual(process.terminationReason, .exit, "killed by signal \(result.status) (or timed out): \(replay)")
            XCTAssertTrue(Self.expectedStatuses.contains(result.status), "status \(result.status): \(replay)\n\(result.stderr)")
            if result.status != 0 {
                let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false)
                XCTAssertTrue(lines.count == 2 && lines[1].isEmpty && lines[0].hasPrefix("caliby: error: "),
                              "stderr must be one error line: \(replay)\n\(result.stderr.debugDescription.prefix(2000))")
            }
            if testRun?.failureCount ?? 0 > 20 { break }
        }
        // A run that only ever hit usage errors would test argument-parser, not the commands.
        print("fuzz: seed \(seed), \(iterations) command lines, exit statuses \(statuses.sorted { $0.key < $1.key })")
        XCTAssertGreaterThan(statuses.filter { $0.key != 64 }.values.reduce(0, +), iterations / 10, "\(statuses)")
        let check = try CLI.run(["check"], directory: dir)
        XCTAssertEqual(check.status, 0, "check after seed \(seed): \(check.stdout)\(check.stderr)")
    }
}

private extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
