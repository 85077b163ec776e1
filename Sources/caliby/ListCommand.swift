import ArgumentParser
import CalibyEngine

struct ListCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the indexes: name, type, dimensions, metric, vectors, capacity, size on disk, creation time.")

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Output format (default: table on a terminal, tsv otherwise).")
    var format: OutputFormat?

    @Flag(name: .long, help: "Print only the names, one per line (for scripts and completion).")
    var namesOnly = false

    var access: AccessMode { .readOnly }

    func execute(in session: Session) throws {
        let database = session.database
        if namesOnly {
            for info in database.listIndexes() { Terminal.write(info.name + "\n") }
            return
        }
        var table = Table(columns: ["name", "type", "dims", "metric", "vectors", "capacity", "bytes", "created"])
        for info in database.listIndexes() {
            let summary = try database.summary(of: info)
            table.rows.append([.text(info.name), .text(info.type.rawValue), .int(info.config.dimensions),
                               .text(info.config.metric.rawValue), .int(summary.count), .int(info.config.maxElements),
                               .bytes(summary.diskBytes), .text(isoTimestamp(info.createdAt))])
        }
        Terminal.write(table.render(Terminal.format(format)))
    }
}
