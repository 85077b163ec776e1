import ArgumentParser
import CalibyEngine

struct InfoCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show one index's parameters and counts, or (--system) the kernels and buffer size in use.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Index name (none with --system).", completion: .indexName)
    var name: String?

    @Flag(name: .long, help: "Show this process's distance kernels (chosen from the CPU, or by $CALIBY_KERNELS), the kernel sets the CPU supports, and the buffer size, instead of an index.")
    var system = false

    @Option(name: .long, help: "Output format (default: table on a terminal, tsv otherwise); json and jsonl print one object.")
    var format: OutputFormat?

    var access: AccessMode { .readOnly }

    func validate() throws {
        if system && name != nil { throw ValidationError("--system shows no index: give 'info NAME' or 'info --system'") }
        if !system && name == nil { throw ValidationError("give an index name, or --system") }
    }

    /// `--system` describes the process, not a directory: it opens none, so it works before `init`.
    func run() throws {
        if system {
            try writeSystem(bufferBytes: global.bufferBytes())
        } else {
            try runInDatabase()
        }
    }

    func execute(in session: Session) throws {
        guard let name else { return try writeSystem(bufferBytes: session.database.pool.budgetBytes) }
        let database = session.database
        let info = try database.info(named: name)
        let summary = try database.summary(of: info)
        var table = Table(columns: ["property", "value"])
        var rows: [(String, Cell)] = [
            ("name", .text(info.name)), ("type", .text(info.type.rawValue)), ("dims", .int(info.config.dimensions)),
            ("metric", .text(info.config.metric.rawValue)),
            ("precision", .text(info.config.precision.rawValue)), ("vectors", .int(summary.count)),
            ("capacity", .int(info.config.maxElements)), ("bytes", .bytes(summary.diskBytes)),
            ("page_size", .int(info.pageSize)), ("file", .text(database.directory + "/" + info.fileName)),
            ("created", .text(isoTimestamp(info.createdAt))),
        ]
        if let hnsw = info.config.hnsw {
            rows += [("M", .int(hnsw.M)), ("ef_construction", .int(hnsw.efConstruction)), ("quantization", .text(hnsw.quantization.rawValue))]
        }
        if let diskann = info.config.diskann {
            rows += [("R", .int(diskann.R)), ("L", .int(diskann.L)), ("alpha", .real(diskann.alpha)),
                     ("pq_bytes", .int(diskann.resolvedPQBytes(dimensions: info.config.dimensions)))]
        }
        let schema = info.config.schema
        if let documentFile = info.documentFileName {
            rows += [("fields", .text(schema.fields.map { $0.spec + ($0.indexed ? ($0.type == .text ? " (full text)" : " (indexed)") : "") }
                                         .joined(separator: ", "))),
                     ("document_space", .bytes(info.config.resolvedDocumentBytes)),
                     ("document_file", .text(database.directory + "/" + documentFile))]
            if let text = try database.collection(named: name).textIndexSummary {
                rows += [("analyzer", .text(info.config.analyzer.rawValue)), ("text_documents", .int(text.documents)),
                         ("text_tokens", .int(text.tokens)), ("text_segments", .int(text.segments)), ("text_terms", .int(text.terms))]
            }
        }
        table.rows = rows.map { [.text($0.0), $0.1] }
        Terminal.write(table.renderProperties(Terminal.format(format)))
    }

    private func writeSystem(bufferBytes: Int) throws {
        let kernels = Kernels.active
        var rows: [(String, Cell)] = [("kernels", .text(kernels.name)),
                                      ("cpu_kernels", .text(kernels.supported.joined(separator: " ")))]
        if let refusal = kernels.refusal { rows.append(("kernels_note", .text(refusal))) }
        rows.append(("buffer_size", .bytes(bufferBytes)))
        var table = Table(columns: ["property", "value"])
        table.rows = rows.map { [.text($0.0), $0.1] }
        Terminal.write(table.renderProperties(Terminal.format(format)))
    }
}
