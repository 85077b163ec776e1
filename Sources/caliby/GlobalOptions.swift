import ArgumentParser
import CalibyEngine
import Glibc

/// Options every subcommand takes, each with an environment fallback.
struct GlobalOptions: ParsableArguments {
    static let defaultDirectoryDescription = "$XDG_DATA_HOME/caliby (~/.local/share/caliby)"

    @Option(name: .long, help: ArgumentHelp("Data directory (default: $CALIBY_DIR, else \(defaultDirectoryDescription)).",
                                            valueName: "dir"))
    var dir: String?

    @Option(name: .long, parsing: .unconditional,
            help: ArgumentHelp("Memory for cached pages, e.g. 512M, 2G, 0.3G or bytes (default: $CALIBY_BUFFER_SIZE, else 2G).",
                               valueName: "size"))
    var bufferSize: String?

    @Option(name: .long, parsing: .unconditional,
            help: ArgumentHelp("Wait up to this many seconds for the directory lock instead of failing at once.",
                               valueName: "seconds"))
    var wait: Double = 0

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
        if wait < 0 || !wait.isFinite { throw ValidationError("--wait must be a number of seconds, at least 0, got \(wait)") }
    }

    /// Opens the directory for one command.
    func open(_ mode: AccessMode) throws -> Database {
        try Caliby.setBufferConfig(sizeBytes: bufferBytes())
        return try Caliby.open(directory, mode: mode, waitSeconds: wait)
    }
}

enum ByteSize {
    /// "512M", "2G", "0.3G", "1.5GiB", "4096" → bytes (binary multiples).
    static func parse(_ text: String, option: String) throws -> Int {
        var digits = text.trimmingSpaces.uppercased()
        for suffix in ["IB", "B"] where digits.hasSuffix(suffix) && digits.count > suffix.count {
            digits.removeLast(suffix.count)
            break
        }
        var multiplier = 1.0
        if let last = digits.last, let power = ["K": 1, "M": 2, "G": 3, "T": 4][String(last)] {
            multiplier = pow(1024, Double(power))
            digits.removeLast()
        }
        guard let value = Double(digits), value.isFinite, value > 0, value * multiplier < 9e18 else {
            throw CalibyError.invalidArgument("\(option): '\(text)' is not a size (examples: 512M, 2G, 0.3G, 1048576)")
        }
        return Int(value * multiplier)
    }
}

/// The check of every count option (threads, -k, list sizes, columns), so each says its range and
/// the value it got in the same words.
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
