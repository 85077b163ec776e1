import ArgumentParser
import CalibyEngine
import Glibc

/// Options every subcommand takes, each with an environment fallback.
struct GlobalOptions: ParsableArguments {
    static let defaultDirectoryDescription = "$XDG_DATA_HOME/caliby (~/.local/share/caliby)"

    @Option(name: .long, help: ArgumentHelp("Data directory (default: $CALIBY_DIR, else \(defaultDirectoryDescription)).",
                                            valueName: "dir"), completion: .directory)
    var dir: String?

    @Option(name: .long, parsing: .unconditional,
            help: ArgumentHelp("Memory for cached pages and the open indexes' bookkeeping: \(ByteSize.grammar) (default: $CALIBY_BUFFER_SIZE, else 2G).",
                               valueName: "size"))
    var bufferSize: String?

    @Option(name: .long, parsing: .unconditional,
            help: ArgumentHelp("Wait up to this many seconds for the directory lock instead of failing at once (default: $CALIBY_WAIT, else 0).",
                               valueName: "seconds"))
    var wait: Double?

    /// The options above, as they may also come before the subcommand's name (`caliby --dir D list`);
    /// each takes a value.
    static let names: Set<String> = ["--dir", "--buffer-size", "--wait"]

    var directory: String {
        if let dir { return dir }
        if let dir = ProcessEnvironment.value("CALIBY_DIR") { return dir }
        if let data = ProcessEnvironment.value("XDG_DATA_HOME") { return data + "/caliby" }
        return (ProcessEnvironment.value("HOME") ?? ".") + "/.local/share/caliby"
    }

    func bufferBytes() throws -> Int {
        if let bufferSize { return try ByteSize.parse(bufferSize, option: "--buffer-size") }
        if let env = ProcessEnvironment.value("CALIBY_BUFFER_SIZE") {
            return try ByteSize.parse(env, option: "CALIBY_BUFFER_SIZE")
        }
        return Caliby.defaultBufferBytes
    }

    func validate() throws {
        if let wait, wait < 0 || !wait.isFinite { throw ValidationError("--wait must be a number of seconds, at least 0, got \(wait)") }
    }

    func waitSeconds() throws -> Double {
        if let wait { return wait }
        guard let env = ProcessEnvironment.value("CALIBY_WAIT") else { return 0 }
        guard let seconds = Double(env.trimmingSpaces), seconds >= 0, seconds.isFinite else {
            throw CalibyError.invalidArgument("CALIBY_WAIT must be a number of seconds, at least 0, got '\(env)'")
        }
        return seconds
    }

    /// Opens the directory for one command.
    func open(_ mode: AccessMode) throws -> Database {
        try Caliby.setBufferConfig(sizeBytes: bufferBytes())
        return try Caliby.open(directory, mode: mode, waitSeconds: waitSeconds())
    }

    /// `arguments` with the global options that come before the subcommand's name moved after it,
    /// where argument-parser reads them, as git takes `git -C dir status`. Another option before the
    /// name (unknown, --help, --version) stops the move and is the parser's; with no command at all
    /// the global options have nothing to apply to and are dropped.
    static func movedAfterSubcommand(_ arguments: [String]) throws -> [String] {
        var leading: [String] = []
        var rest = arguments[...]
        while let word = rest.first, word.hasPrefix("--") {
            let name = String(word.prefix { $0 != "=" })
            guard names.contains(name) else { break }
            let words = word.contains("=") ? 1 : 2
            guard rest.count >= words else { throw ValidationError("missing value for '\(name)'") }
            leading += rest.prefix(words)
            rest = rest.dropFirst(words)
        }
        guard !leading.isEmpty else { return arguments }
        guard let command = rest.first, !command.hasPrefix("-") else { return Array(rest) }
        // `help` takes no global options; they are dropped rather than refused.
        return command == "help" ? Array(rest) : [command] + leading + rest.dropFirst()
    }
}

/// A size on the command line or in $CALIBY_BUFFER_SIZE. The grammar, and nothing else:
///
///     size   = digits [ "." digits ] [ unit ]        (blanks around it are ignored)
///     unit   = ( "K" | "M" | "G" | "T" ) [ "B" | "iB" ]  |  "B"     (any letter case)
///
/// Units are binary (K = 1024); a fraction of a byte is dropped; the result is at least one byte.
/// Exponents, hex, signs, inf and nan are refused, though `Double` would read them: "1e3G" must
/// not mean something "1e30" does not.
enum ByteSize {
    /// For the help text.
    static let grammar = """
        a number with an optional fraction and an optional unit K, M, G or T (powers of 1024; KB and KiB \
        mean K), e.g. 512M, 2G, 0.3G, 1048576
        """

    private static let powers: [Character: Double] = ["K": 1, "M": 2, "G": 3, "T": 4]

    static func parse(_ text: String, option: String) throws -> Int {
        guard let bytes = bytes(text) else {
            throw CalibyError.invalidArgument("\(option): '\(text)' is not a size (examples: 512M, 2G, 0.3G, 1048576)")
        }
        return bytes
    }

    private static func bytes(_ text: String) -> Int? {
        var rest = Substring(text.trimmingSpaces.uppercased())
        var multiplier = 1.0
        if rest.hasSuffix("IB") {
            rest.removeLast(2)
            guard let power = rest.last.flatMap({ powers[$0] }) else { return nil }
            multiplier = pow(1024, power)
            rest.removeLast()
        } else if let power = rest.last.flatMap({ powers[$0] }) {
            multiplier = pow(1024, power)
            rest.removeLast()
        } else if rest.hasSuffix("B") {
            rest.removeLast()
            if let power = rest.last.flatMap({ powers[$0] }) {
                multiplier = pow(1024, power)
                rest.removeLast()
            }
        }
        let parts = rest.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let value = Double(rest) else { return nil }
        let bytes = (value * multiplier).rounded(.down)
        guard bytes >= 1, bytes < 9e18 else { return nil }
        return Int(bytes)
    }
}

/// The check of every count option (threads, -k, list sizes, columns), so each says its range and
/// the value it got in the same words.
/// `--threads` of the commands that rebuild an index (consolidate, vacuum): all cores unless told.
struct AllCoresThreads: ParsableArguments {
    @Option(name: .long, parsing: .unconditional, help: "Threads (default: all cores).")
    var threads: Int?

    var count: Int { threads ?? processorCount() }

    func validate() throws {
        try requireAtLeastOne(threads, "--threads")
    }
}

func requireAtLeastOne(_ value: Int?, _ option: String, because reason: String? = nil) throws {
    guard let value, value < 1 else { return }
    throw ValidationError("\(option) must be at least 1\(reason.map { " (\($0))" } ?? ""), got \(value)")
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}
