import Atomics
import CalibyEngine
import Glibc

/// A file of ids, one per line (blank lines skipped), written as IDText says.
func readIDList(_ path: String) throws -> [UInt64] {
    var ids: [UInt64] = []
    try forEachLine(of: path) { number, text in
        if !text.isEmpty { ids.append(try IDText.id(text, location: "\(path):\(number)")) }
    }
    return ids
}

/// A `--labels` file: one line of labels per record, written as IDText says (a blank line: none).
func readLabelList(_ path: String) throws -> [[UInt32]] {
    var lists: [[UInt32]] = []
    try forEachLine(of: path) { number, text in lists.append(try IDText.labels(text, location: "\(path):\(number)")) }
    return lists
}

/// Calls `body` with each line's 1-based number and its text without surrounding spaces.
func forEachLine(of path: String, _ body: (Int, String) throws -> Void) throws {
    guard let file = fopen(path, "r") else {
        throw errno == ENOENT ? CalibyError.noSuchFile(path) : CalibyError.io(path: path, operation: "open", errno: errno)
    }
    defer { fclose(file) }
    var line: UnsafeMutablePointer<CChar>?
    defer { free(line) }
    var capacity = 0
    var number = 0
    while getline(&line, &capacity, file) >= 0 {
        number += 1
        try body(number, String(cString: line!).trimmingSpaces)
    }
}

/// "0.1,0.2 0.3" → [0.1, 0.2, 0.3]; commas and/or spaces separate.
func parseVectorArgument(_ text: String, dimensions: Int) throws -> [Float] {
    let fields = text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" })
    var values: [Float] = []
    for (i, field) in fields.enumerated() {
        guard let value = Float(field), value.isFinite else {
            throw CalibyError.badInput(location: "--vector", message: "component \(i + 1): '\(field)' is not a finite number")
        }
        values.append(value)
    }
    guard values.count == dimensions else {
        throw CalibyError.badInput(location: "--vector", message: "expected \(dimensions) values, found \(values.count)")
    }
    return values
}

func processorCount() -> Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

/// Ctrl-C during a long command: the first press asks the command to stop (it rolls back and exits
/// 130); the second kills the process, which is safe too — the journal undoes it at the next open.
enum Interrupt {
    nonisolated(unsafe) private static var requested = ManagedAtomic<Bool>(false)

    static func install() {
        requested.store(false, ordering: .relaxed)
        signal(SIGINT) { _ in
            if Interrupt.requested.load(ordering: .relaxed) { _exit(130) }
            Interrupt.requested.store(true, ordering: .relaxed)
        }
    }

    static var isRequested: Bool { requested.load(ordering: .relaxed) }

    /// Takes back a request. The REPL calls it at its prompt (where Ctrl-C cancels the line) and
    /// before each command, so a press that no command consumed does not count as the first of two.
    static func take() -> Bool { requested.exchange(false, ordering: .relaxed) }

    nonisolated(unsafe) private static var terminating = ManagedAtomic<Bool>(false)

    /// SIGTERM and SIGHUP, for the REPL: they stop the running command as Ctrl-C does, and the
    /// session ends (committing what is pending) once it returns. Installed without SA_RESTART so
    /// that a read blocked on the next line returns EINTR instead of waiting for more input.
    static func installTermination() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            Interrupt.terminating.store(true, ordering: .relaxed)
            Interrupt.requested.store(true, ordering: .relaxed)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGTERM, &action, nil)
        sigaction(SIGHUP, &action, nil)
    }

    static var isTerminationRequested: Bool { terminating.load(ordering: .relaxed) }
}

/// A one-line progress bar on stderr (count, rate, ETA), drawn only on a terminal.
final class ProgressBar: @unchecked Sendable {
    private let total: Int?
    private let start = monotonicNow()
    private var lastDraw = 0.0
    private let enabled: Bool

    init(total: Int?, enabled: Bool) {
        self.total = total
        self.enabled = enabled && Terminal.stderrIsTerminal
    }

    func update(done: Int, fraction: Double?) {
        guard enabled else { return }
        let now = monotonicNow()
        guard now - lastDraw >= 0.1 else { return }
        lastDraw = now
        let elapsed = now - start
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var line = "\r\(done) vectors  \(Int(rate))/s"
        if let fraction, fraction > 0 {
            let width = 30
            let filled = min(width, Int(fraction * Double(width)))
            let eta = elapsed / fraction - elapsed
            line = "\r[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                + "] \(Int(fraction * 100))%  \(done) vectors  \(Int(rate))/s  ETA \(Int(eta.rounded()))s"
        }
        fputs(line + "\u{1B}[K", stderr)
    }

    func finish() {
        if enabled { fputs("\r\u{1B}[K", stderr) }
    }
}

func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
