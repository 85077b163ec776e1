import ArgumentParser
import CalibyEngine
import Glibc

/// The documented exit statuses (man caliby, EXIT STATUS). Usage errors keep argument-parser's 64.
enum ExitStatus: Int32, CaseIterable {
    case success = 0
    case failure = 1
    case usage = 64
    case badInput = 65
    case notFound = 66
    case exists = 67
    case full = 68
    case io = 74
    case locked = 75
    case damaged = 76
    case newerFormat = 78
    case interrupted = 130

    init(_ category: CalibyError.Category) {
        switch category {
        case .usage: self = .usage
        case .data: self = .badInput
        case .notFound: self = .notFound
        case .exists: self = .exists
        case .capacity: self = .full
        case .io: self = .io
        case .locked: self = .locked
        case .corrupt: self = .damaged
        case .interrupted: self = .interrupted
        case .newerFormat: self = .newerFormat
        }
    }

    var meaning: String {
        switch self {
        case .success: return "success"
        case .failure: return "an error not listed below"
        case .usage: return "bad command line: unknown option, bad value, invalid index name"
        case .badInput: return "bad input data: wrong dimension, not a number, NaN/Inf, truncated record"
        case .notFound: return "no such data directory, index, id or input file"
        case .exists: return "the index name or vector id exists already"
        case .full: return "no room: the index is full (--max-elements), the buffer pool is too small, or the disk cannot hold a new index's empty tables"
        case .io: return "an operating-system I/O error"
        case .locked: return "Data directory is already locked by another process"
        case .damaged: return "a checksum or structure check failed: the data is damaged"
        case .interrupted: return "interrupted (Ctrl-C); nothing was committed"
        case .newerFormat: return "a file was written by a newer caliby in a format this one does not read"
        }
    }
}

func reportAndExit(_ error: CalibyError) -> Never {
    exit(report(error))
}

/// Argument errors in one line ("caliby: error: …"), like engine errors; help and version requests
/// keep argument-parser's own output.
func reportUsageErrorAndExit(_ error: Error) -> Never {
    guard CalibyCommand.exitCode(for: error) != .success else { CalibyCommand.exit(withError: error) }
    exit(report(error))
}

/// Prints a failure as the one line "caliby: error: …" on stderr and returns its exit status: the
/// documented status of an engine error, argument-parser's (64) for a usage error. The command line
/// exits with it; the REPL goes on, or ends with it under --bail. `help` is what a usage error
/// points to: 'caliby help' on the command line, 'help' in the REPL. `location` ("<stdin>:2") names
/// the script line that failed, as a compiler names a source line.
func report(_ error: Error, help: String = "caliby help", location: String? = nil) -> Int32 {
    let prefix = "caliby: error: " + (location.map { "\($0): " } ?? "")
    if let error = error as? CalibyError {
        fputs(prefix + "\(error.commandLineDescription.escapingControlCharacters)\n", stderr)
        return ExitStatus(error.category).rawValue
    }
    var message = CalibyCommand.message(for: error)
    if message.isEmpty { message = "\(error)" }
    if message.hasPrefix("Error: ") { message.removeFirst(7) }
    // argument-parser capitalizes its sentences ("Unknown option"); caliby's messages, like git's,
    // start in lower case. A word that is capitals throughout (CALIBY_WAIT) keeps them.
    if let first = message.first, first.isUppercase, message.dropFirst().first?.isLowercase == true {
        message = first.lowercased() + message.dropFirst()
    }
    fputs(prefix + "\(message.escapingControlCharacters) (see '\(help)')\n", stderr)
    return CalibyCommand.exitCode(for: error).rawValue
}

extension String {
    /// Messages quote what the user typed (names, paths, option values), and a newline or an
    /// escape sequence in it would break the one-line error scripts read, or rewrite the terminal:
    /// control characters are shown as C escapes (\n, \t, \r, else \xHH or \u{HHHH}).
    /// Backslashes stay as they are, so ordinary paths read unchanged.
    var escapingControlCharacters: String {
        var out = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value):
                out += "\\x" + hexDigits(scalar.value, width: 2)
            case "\u{2028}", "\u{2029}":
                out += "\\u{" + hexDigits(scalar.value, width: 4) + "}"
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

private func hexDigits(_ value: UInt32, width: Int) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

extension CalibyError {
    /// The engine's message with the way forward a command-line user has: the engine speaks of
    /// what went wrong, and only the CLI knows its options' names.
    var commandLineDescription: String {
        switch self {
        case .locked:
            return description + "; wait for it with --wait SECONDS or $CALIBY_WAIT"
        case .duplicateID:
            return description + " (use --replace to update it)"
        case .bufferPoolExhausted:
            return description + " (raise --buffer-size)"
        case .notADataDirectory(let directory):
            return description + " (run 'caliby init --dir \(directory)' first)"
        case .journalDamaged:
            return description + " (see 'caliby recover --help')"
        case .capacity(let index, _):
            return description.replacing("(maxElements", with: "(--max-elements")
                .replacing(CalibyError.noRoomRemedy, with: "delete vectors or run 'caliby resize \(index) --max-elements N' to make room")
        case .noSpace(let message, let lower), .tooLarge(let message, let lower):
            return "\(message) (lower \(lower.map(CreateCommand.option(setting:)).joined(separator: " or ")))"
        case .invalidParameter("precision", _, let value):
            // The one precision rule: only HNSW stores anything but float32.
            return "--precision \(value) is available for hnsw indexes only"
        case .invalidParameter(let name, let requirement, let value):
            return "\(CreateCommand.option(setting: name)) must be \(requirement), got \(value)"
        default:
            return description
        }
    }
}
