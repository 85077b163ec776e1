import ArgumentParser
import CalibyEngine
import Glibc

/// How `--stats` reports: lines for people, one JSON object, or Prometheus' text format.
enum RunStatisticsFormat: String, CaseIterable, ExpressibleByArgument {
    case text, json, prometheus
}

/// What one search or insert cost, for `--stats`: the engine's counters over the command and the
/// time of each phase, written to standard error so the results on standard output stay clean.
struct RunStatistics {
    let command: String
    let index: String
    private let before: EngineCounters
    private let budget: Int
    private var phases: [(name: String, seconds: Double)] = []
    private var mark: Double

    /// Starts counting. The first phase, "open", runs from the process's start (in the REPL, from
    /// this command's).
    init(command: String, index: String, session: Session) throws {
        self.command = command
        self.index = index
        before = try Caliby.counters()
        budget = session.database.pool.budgetBytes
        mark = session.interactive ? monotonicSeconds() : processStart
    }

    /// Ends the phase running now, which takes the time since the last one ended.
    mutating func end(_ phase: String) {
        let now = monotonicSeconds()
        phases.append((phase, now - mark))
        mark = now
    }

    func write(_ format: RunStatisticsFormat, extraLines: [String] = []) throws {
        let work = try Caliby.counters() - before
        let total = phases.reduce(0) { $0 + $1.seconds }
        let peak = peakResidentBytes()
        switch format {
        case .text:
            // The first line is the one scripts read since --stats began (bench/ parses it).
            Terminal.note("read \(work.pagesRead) pages of index files; \(milliseconds(total)) from start to answer")
            Terminal.note("stats: \(work.pageAccesses) page accesses by graph searches, \(work.poolHits) hits in the pool; "
                          + "\(ByteCount.text(work.bytesRead)) read, \(work.pagesWritten) pages (\(ByteCount.text(work.bytesWritten))) written, "
                          + "\(work.evictions) evictions; \(work.distanceComputations) distances")
            Terminal.note("stats: " + phases.map { "\($0.name) \(milliseconds($0.seconds))" }.joined(separator: ", ")
                          + "; peak RSS \(peak.map(ByteCount.text) ?? "unknown") with a \(ByteCount.text(budget)) buffer")
        case .json:
            let counts = (RunStatistics.counts(work) + [("buffer_bytes", budget)] + (peak.map { [("peak_rss_bytes", $0)] } ?? []))
                .map { "\(jsonString($0)):\($1)" }
            let times = phases.map { "\(jsonString($0.name)):\($0.seconds)" }
            Terminal.note("{\"command\":\(jsonString(command)),\"index\":\(jsonString(index)),"
                          + counts.joined(separator: ",") + ",\"seconds\":\(total),\"phases\":{" + times.joined(separator: ",") + "}}")
        case .prometheus:
            var out = Prometheus()
            let labels = [("command", command), ("index", index)]
            for (name, value) in RunStatistics.counts(work) {
                out.metric("run_\(name)", "gauge", help: RunStatistics.help[name]!, samples: [(labels, Double(value))])
            }
            out.metric("run_phase_seconds", "gauge", help: "Seconds each phase of the command took.",
                       samples: phases.map { (labels + [("phase", $0.name)], $0.seconds) })
            out.metric("run_buffer_bytes", "gauge", help: "The buffer pool's budget (--buffer-size).", samples: [(labels, Double(budget))])
            if let peak {
                out.metric("run_peak_rss_bytes", "gauge", help: "The process's peak resident memory (VmHWM).", samples: [(labels, Double(peak))])
            }
            Terminal.note(String(out.text.dropLast()))
        }
        for line in extraLines { Terminal.note(line) }
    }

    private static func counts(_ work: EngineCounters) -> [(String, Int)] {
        [("pages_read", work.pagesRead), ("bytes_read", work.bytesRead), ("pages_written", work.pagesWritten),
         ("bytes_written", work.bytesWritten), ("evictions", work.evictions), ("page_accesses", work.pageAccesses),
         ("pool_hits", work.poolHits), ("distance_computations", work.distanceComputations)]
    }

    private static let help = [
        "pages_read": "Pages read from the files into the buffer pool.",
        "bytes_read": "Bytes read from the files into the buffer pool.",
        "pages_written": "Pages written to the files.",
        "bytes_written": "Bytes written to the files.",
        "evictions": "Pages the buffer pool evicted to make room.",
        "page_accesses": "Pages graph searches read a record, link list or code from.",
        "pool_hits": "Page accesses the buffer pool answered from memory.",
        "distance_computations": "Distances graph searches computed.",
    ]

    private func milliseconds(_ seconds: Double) -> String { String(format1: seconds * 1000) + " ms" }
}

/// The process's peak resident memory, VmHWM of /proc/self/status: what a build's or a search's
/// memory bound is measured against (nil where the file is not Linux's).
func peakResidentBytes() -> Int? {
    guard let file = fopen("/proc/self/status", "r") else { return nil }
    defer { fclose(file) }
    var line: UnsafeMutablePointer<CChar>?
    var capacity = 0
    defer { free(line) }
    while getline(&line, &capacity, file) > 0 {
        let text = String(cString: line!)
        guard text.hasPrefix("VmHWM:") else { continue }
        let fields = text.dropFirst(6).split(whereSeparator: \.isWhitespace)
        guard fields.count == 2, fields[1].hasPrefix("kB"), let kib = Int(fields[0]) else { return nil }
        return kib * 1024
    }
    return nil
}

/// `--stats` and `--stats-format`, shared by search and insert.
struct RunStatisticsOptions: ParsableArguments {
    @Flag(name: .long, help: "Report on standard error what the command cost: pages read and hit in the buffer pool, bytes read and written, evictions, distances computed, the time of each phase, and the peak resident memory against the buffer size.")
    var stats = false

    @Option(name: .long, help: "How --stats reports (implies --stats): text lines, one JSON object, or Prometheus' text format.")
    var statsFormat: RunStatisticsFormat?

    var enabled: Bool { stats || statsFormat != nil }
    var format: RunStatisticsFormat { statsFormat ?? .text }
}
