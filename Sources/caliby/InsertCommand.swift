import ArgumentParser
import CalibyEngine
import Glibc

struct InsertCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "insert",
        abstract: "Add vectors from .fvecs, .bvecs, CSV/TSV or JSON lines (a file or standard input).",
        discussion: """
            The whole command is one atomic commit: a bad record anywhere (wrong dimension, not a number, \
            NaN/Inf, truncated record, duplicate id, no room) leaves the index exactly as it was, \
            unless --commit-every committed earlier chunks.

            For an index with fields (see caliby create), JSON lines carry each document's fields as \
            top-level keys, and CSV/TSV needs a header that names its columns: id, vector (a JSON \
            array or numbers separated by spaces; or --vector-columns), and the fields. A value of \
            the wrong type, an unknown key or column (unless --ignore-unknown), a missing required \
            field or a value over its limit is an error naming the line and the field.

            On a terminal a progress bar on standard error shows the share of records inserted, the \
            insert rate and the time left at that rate. For .fvecs and .bvecs the file's size gives the \
            number of records; for CSV, TSV and JSON lines its lines are counted first (a header or \
            blank lines count too, so the share and time are shown with ~). On standard input there is \
            no total, only the count and the rate. After the last record the bar gives way to \
            "committing" while the changes are made durable (a DiskANN index first prunes back to R \
            the neighbour lists the load left longer); the summary's time includes it.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Index name.", completion: .indexName)
    var name: String

    @Argument(help: "Input file, or - for standard input.", completion: .vectorFile)
    var file: String = "-"

    // The spelling before --input-format, kept for scripts: unambiguous here, as insert prints
    // no table, but hidden so that one name is taught.
    @Option(name: .long, help: .hidden)
    var format: VectorFormat?

    @OptionGroup var input: VectorInputOptions

    @Option(name: .long, parsing: .unconditional, help: "CSV/TSV: 1-based column holding each row's id.")
    var idColumn: Int?

    @Option(name: .long, parsing: .unconditional, help: "CSV/TSV: 1-based column holding labels (numbers separated by ';' or '|').")
    var labelsColumn: Int?

    @Option(name: .long, help: "A file of ids, one per line, for the records in order.", completion: .file())
    var ids: String?

    @Option(name: .long, help: "A file of labels, one line per record in order: numbers separated by ';' or '|' (a blank line: none).",
            completion: .file())
    var labels: String?

    @Flag(name: .long, help: "Update the vector of an id that exists instead of failing.")
    var replace = false

    @Option(name: .long, parsing: .unconditional, help: "Build threads (default: all cores).")
    var threads: Int?

    @Option(name: .long, parsing: .unconditional, help: "Commit after every N records (for very long loads).")
    var commitEvery: Int?

    @Flag(name: .shortAndLong, help: "No progress bar and no summary line.")
    var quiet = false

    @OptionGroup var statistics: RunStatisticsOptions

    var access: AccessMode { .readWrite }

    func validate() throws {
        try requireAtLeastOne(threads, "--threads")
        try requireAtLeastOne(commitEvery, "--commit-every")
        try requireAtLeastOne(idColumn, "--id-column", because: "columns count from 1")
        try requireAtLeastOne(labelsColumn, "--labels-column", because: "columns count from 1")
        if idColumn != nil && ids != nil { throw ValidationError("give --id-column or --ids, not both") }
        if labelsColumn != nil && labels != nil { throw ValidationError("give --labels-column or --labels, not both") }
        if format != nil && input.inputFormat != nil { throw ValidationError("give --input-format, not also --format (its old name)") }
    }

    func execute(in session: Session) throws {
        let database = session.database
        var stats = try statistics.enabled ? RunStatistics(command: "insert", index: name, session: session) : nil
        let collection = try database.collection(named: name)
        let format = try input.format(of: file, spelled: self.format)
        let dimensions = collection.info.config.dimensions
        let reader = try input.reader(path: file, format: format, dimensions: dimensions, idColumn: idColumn, labelsColumn: labelsColumn,
                                      schema: collection.schema)
        let explicitIDs = try ids.map(readIDList)
        let explicitLabels = try labels.map(readLabelList)
        let progress = ProgressBar(enabled: !quiet)
        // Whatever ends the command, its message starts on a clean line.
        defer { progress.finish() }
        let records = progress.isEnabled ? recordTotal(format: format, dimensions: dimensions, path: file, bytes: reader.totalBytes)
                                         : .unknown
        Interrupt.install()
        stats?.end("open")
        var options = InsertOptions(replace: replace, threads: threads ?? processorCount())
        options.isCancelled = { Interrupt.isRequested }
        let started = monotonicSeconds()
        var batch = VectorBatch(dimensions: dimensions)
        var done = 0, sinceCommit = 0
        var total = InsertSummary()
        let batchSize = min(commitEvery ?? Int.max, VectorBatch.loadRecords(dimensions: dimensions))
        var readingSeconds = 0.0
        while try timed(&readingSeconds, { try reader.next(into: &batch, maxRecords: batchSize) }) {
            if let explicitIDs {
                guard done + batch.count <= explicitIDs.count else {
                    throw CalibyError.badInput(location: ids!, message: "has \(explicitIDs.count) ids but the input has more records")
                }
                batch.ids = explicitIDs[done..<(done + batch.count)].map { $0 }
            }
            if let explicitLabels {
                guard done + batch.count <= explicitLabels.count else {
                    throw CalibyError.badInput(location: labels!, message: "has \(explicitLabels.count) lines but the input has more records")
                }
                batch.labels = Array(explicitLabels[done..<(done + batch.count)])
            }
            let before = done
            options.progress = { i in progress.update(done: before + i, total: records) }
            let summary = try collection.insert(batch, options: options)
            total.inserted += summary.inserted
            total.replaced += summary.replaced
            total.firstID = total.firstID ?? summary.firstID
            total.lastID = summary.lastID ?? total.lastID
            done += batch.count
            sinceCommit += batch.count
            if let commitEvery, sinceCommit >= commitEvery {
                try database.flush()
                sinceCommit = 0
            }
        }
        if let explicitIDs, explicitIDs.count != done {
            throw CalibyError.badInput(location: ids!, message: "has \(explicitIDs.count) ids for \(done) records")
        }
        if let explicitLabels, explicitLabels.count != done {
            throw CalibyError.badInput(location: labels!, message: "has \(explicitLabels.count) lines for \(done) records")
        }
        stats?.end("insert")
        // Committed here rather than after the command, so that the summary's time and the report
        // include it: a DiskANN load's lists are pruned back to R at the commit, seconds to minutes
        // of a large load. The REPL commits at its own flush, as every command there does.
        if !session.interactive {
            progress.show("committing")
            try database.flush()
            stats?.end("commit")
        }
        progress.finish()
        try stats?.write(statistics.format)
        if !quiet {
            let seconds = monotonicSeconds() - started
            var line = "inserted \(counted(total.inserted, "vector")) into '\(name)'"
            if total.replaced > 0 { line += ", replaced \(total.replaced)" }
            if let first = total.firstID, let last = total.lastID { line += first == last ? " (id \(first))" : " (ids \(first)…\(last))" }
            line += " in \(String(format1: seconds)) s (reading input \(String(format1: readingSeconds)) s)"
            Terminal.note(line)
        }
    }
}

/// How many records the input holds, for the progress bar. A text file's lines are counted first:
/// a pass at disk speed, small beside building the graph, where the bytes-per-record of the records
/// read so far would err by the reader's read-ahead (4 MiB) early on. A header or blank lines make
/// the count a little high, hence an estimate.
private func recordTotal(format: VectorFormat, dimensions: Int, path: String, bytes: Int?) -> ProgressBar.Total {
    guard let bytes else { return .unknown }
    switch format {
    case .fvecs: return .exact(bytes / (4 + 4 * dimensions))
    case .bvecs: return .exact(bytes / (4 + dimensions))
    case .csv, .tsv, .jsonl: return countLines(path).map { .estimated($0) } ?? .unknown
    }
}

/// All the cores, the default of --threads.
func processorCount() -> Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

/// "1 vector", "2 vectors".
func counted(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }

/// Runs `body`, adding its wall time to `total`.
func timed<R>(_ total: inout Double, _ body: () throws -> R) rethrows -> R {
    let start = monotonicSeconds()
    defer { total += monotonicSeconds() - start }
    return try body()
}

extension String {
    /// One decimal place without Foundation.
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }
}
