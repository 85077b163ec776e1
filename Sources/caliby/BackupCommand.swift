import ArgumentParser
import CalibyEngine
import Glibc

struct BackupCommand: DatabaseCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the data directory, or some of its indexes, while searches go on.",
        discussion: """
            Takes the shared lock, as search does: readers keep running while it copies, and writers \
            wait for it (or fail, see --wait). Copies the last commit: each index file, reading \
            every page once and verifying its checksum (a damaged page stops the backup with exit \
            76 and leaves nothing at DEST), then the catalog. With index names, only those indexes, \
            under their own ids. DEST must not exist: the copy is built as DEST.backup-<pid> beside \
            it, fsynced, and renamed into place, so DEST appears whole or not at all, and the next \
            backup to DEST removes what a killed one left. DEST is a data directory that every \
            command opens; 'caliby restore DEST --into DIR' puts it back.

            --to - (or DEST -) writes one POSIX ustar archive to standard output instead, for \
            '| zstd' or '| ssh': one entry per file, no directory entry, index files first and \
            caliby_catalog last, so an archive cut short holds no catalog. 'mkdir D && tar -xf \
            ARCHIVE -C D' gives a data directory; 'caliby restore - --into DIR' reads the archive \
            from standard input and verifies it before replacing anything. \
            What was copied is reported on stdout, or on stderr with --to -.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Where the backup goes, instead of DEST: a new directory, or - for a tar archive on stdout.",
                                            valueName: "dest"), completion: .directory)
    var to: String?

    @Argument(help: ArgumentHelp("A new directory, or - (omit it with --to).", valueName: "dest"), completion: .directory)
    var destination: String?

    @Argument(help: "Index names (default: all).", completion: .indexName)
    var names: [String] = []

    var access: AccessMode { .readOnly }

    func validate() throws {
        if to == nil && destination == nil { throw ValidationError("missing the destination: give DEST, or --to DEST") }
    }

    func execute(in session: Session) throws {
        let (target, indexes) = to.map { ($0, (destination.map { [$0] } ?? []) + names) } ?? (destination!, names)
        let started = monotonicSeconds()
        let summary = target == "-"
            ? try Caliby.backupToStandardOutput(session.database, indexes: indexes)
            : try Caliby.backup(session.database, indexes: indexes, toDirectory: target)
        let line = "backed up \(summary.describe(seconds: monotonicSeconds() - started)) to \(target == "-" ? "stdout" : target)\n"
        if target == "-" { fputs(line, stderr) } else { Terminal.write(line) }
    }
}

extension BackupSummary {
    /// "2 indexes, 5 files, 12.3 MiB in 0.4 s (31.4 MB/s)".
    func describe(seconds: Double) -> String {
        let rate = seconds > 0 ? Double(bytes) / seconds / 1e6 : 0
        return "\(indexes) \(indexes == 1 ? "index" : "indexes"), \(files) files, \(ByteCount.text(bytes)) in "
            + "\(String(format1: seconds)) s (\(String(format1: rate)) MB/s)"
    }
}
