import ArgumentParser
import CalibyEngine

struct GetCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print stored documents by id, or those matching --where.",
        discussion: """
            One row per document: id, then the fields (all of them, or --fields), in the order the \
            ids were given, or ascending by id with --where alone. An unknown id is an error.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Index name.", completion: .indexName)
    var name: String

    // Collected as words, as delete's: "-3" is an id to refuse by its message, not an unknown option.
    @Argument(parsing: .allUnrecognized, help: "Ids to print.")
    var ids: [String] = []

    @Option(name: [.customLong("ids"), .customLong("ids-file")], help: "A file of ids, one per line.", completion: .file())
    var idsFile: String?

    @OptionGroup var documents: DocumentQueryOptions

    @Option(name: .long, parsing: .unconditional, help: "At most this many documents.")
    var limit: Int?

    @Option(name: .long, help: "Output format (default: table on a terminal, tsv otherwise).")
    var format: OutputFormat?

    var access: AccessMode { .readOnly }

    func validate() throws {
        _ = try idArguments(ids)
        try requireAtLeastOne(limit, "--limit")
        if ids.isEmpty && idsFile == nil && documents.filter == nil {
            throw ValidationError("give ids, --ids FILE or --where FILTER")
        }
    }

    func execute(in session: Session) throws {
        let collection = try session.database.collection(named: name)
        let filter = try documents.parsedFilter(for: collection)
        var wanted = try idArguments(ids) + (idsFile.map { try readIDList($0) } ?? [])
        if wanted.isEmpty {
            wanted = try collection.ids(matching: filter, limit: limit)
        } else if let filter {
            let matching = Set(try collection.ids(matching: filter))
            wanted = wanted.filter(matching.contains)
        }
        if let limit, wanted.count > limit { wanted.removeLast(wanted.count - limit) }
        let names = documents.fields == nil ? collection.schema.fields.map(\.name) : try documents.fieldNames(for: collection)
        let found = try collection.documents(ids: wanted, fields: names)
        var table = Table(columns: ["id"] + names)
        for (id, document) in zip(wanted, found) { table.rows.append([.uint(id)] + collection.cells(document, names)) }
        Terminal.write(table.render(Terminal.format(format)))
    }
}
