import ArgumentParser
import CalibyEngine

struct InfoCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show one index's parameters and counts.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Index name.", completion: .indexName)
    var name: String

    @Option(name: .long, help: "Output format (default: table on a terminal, tsv otherwise); json and jsonl print one object.")
    var format: OutputFormat?

    var access: AccessMode { .readOnly }

    func execute(in session: Session) throws {
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
        if let hnsw = info.config.hnsw { rows += [("M", .int(hnsw.M)), ("ef_construction", .int(hnsw.efConstruction))] }
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
}
