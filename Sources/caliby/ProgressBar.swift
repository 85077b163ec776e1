import CalibyEngine
import Glibc

/// A one-line progress bar on stderr, drawn only on a terminal: records inserted out of the total,
/// the insert rate, and the time left at that rate. Counting records, not bytes read, matters: the
/// reader runs a batch ahead of the insert, and building the graph, not reading, takes the time.
final class ProgressBar: @unchecked Sendable {
    /// How many records the input holds, as far as it can be told before the end.
    enum Total {
        /// Fixed-size records (fvecs, bvecs): the file's size says.
        case exact(Int)
        /// Text records (CSV, TSV, JSON lines): from the bytes the records read so far took. Shown with "~".
        case estimated(Int)
        /// Standard input or a pipe: no size.
        case unknown
    }

    private let start = monotonicSeconds()
    private var lastDraw = 0.0
    private var drawn = false
    private let enabled: Bool

    init(enabled: Bool) {
        self.enabled = enabled && Terminal.stderrIsTerminal
    }

    /// Whether anything will be drawn: the total is worth working out only then.
    var isEnabled: Bool { enabled }

    /// Called from one thread at a time (the engine reports from its first worker only).
    func update(done: Int, total: Total) {
        guard enabled else { return }
        let now = monotonicSeconds()
        guard now - lastDraw >= 0.1 else { return }
        lastDraw = now
        drawn = true
        let elapsed = now - start
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let counts = "\(done) vectors  \(Int(rate))/s"
        let line: String
        switch total {
        case .unknown:
            line = counts
        case .exact(let count), .estimated(let count):
            let approximate = if case .estimated = total { "~" } else { "" }
            // An estimate can fall short of what is done already; the bar then waits at 99 %.
            let count = max(count, done + 1)
            let fraction = Double(done) / Double(count)
            let width = 30
            let filled = Int(fraction * Double(width))
            let eta = rate > 0 ? "  ETA \(approximate)\(Int((Double(count - done) / rate).rounded()))s" : ""
            line = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                + "] \(approximate)\(Int(fraction * 100))%  \(counts)\(eta)"
        }
        fputs("\r" + line + "\u{1B}[K", stderr)
    }

    /// Replaces the bar with a phase that has no count, such as the commit after the last record.
    func show(_ phase: String) {
        guard enabled else { return }
        drawn = true
        fputs("\r\(phase)\u{1B}[K", stderr)
    }

    /// Clears the line, so that what is printed next (the summary, an error, "interrupted") starts
    /// on an empty one. Safe to call when nothing was drawn, and more than once.
    func finish() {
        guard drawn else { return }
        drawn = false
        fputs("\r\u{1B}[K", stderr)
    }
}

/// The lines of a file (a last line without a newline counts), or nil if it cannot be read.
func countLines(_ path: String) -> Int? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    var lines = 0
    var last: UInt8 = 0x0A
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n >= 0 else { return nil }
        if n == 0 { break }
        for i in 0..<n where buffer[i] == 0x0A { lines += 1 }
        last = buffer[n - 1]
    }
    return last == 0x0A ? lines : lines + 1
}
