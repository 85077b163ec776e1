import ArgumentParser
import CalibyEngine

struct UpgradeCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrade",
        abstract: "Rewrite files of an older format in the current one; report every file's format.",
        discussion: """
            Every file kind carries a format version (the catalog's 'format', the magic at the \
            start of every other file). A file written by a newer caliby is refused by every \
            command with exit 78, naming the file and both versions; an older format this caliby \
            still reads opens as it is, and this command rewrites it, in one transaction, when a \
            change needs that. Prints one line per file and format. The newer formats so far (HNSW 2 \
            with int8 codes, HNSW 3 with int8 records on cache lines, DiskANN 3 with spare link \
            room) belong to indexes created with those features; an index created before keeps \
            its format, which is current for it, so this command rewrites nothing yet and says \
            that the directory is current. 'caliby vacuum' rebuilds such an index in the newest \
            format.
            """)

    @OptionGroup var global: GlobalOptions

    var access: AccessMode { .readWrite }

    func execute(in session: Session) throws {
        let report = try session.database.upgrade()
        for entry in report {
            let state = entry.version == entry.current ? "current" : "older, rewritten as format \(entry.current)"
            Terminal.write("\(entry.file): \(entry.kind) format \(entry.version) (\(state))\n")
        }
        let current = report.allSatisfy { $0.version == $0.current }
        Terminal.write("\(session.database.directory): \(current ? "every file is in the current format; nothing to rewrite" : "upgraded")\n")
    }
}
