import ArgumentParser
import CalibyEngine

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace a data directory with a backup, after verifying all of it.",
        discussion: """
            SOURCE is a directory 'caliby backup' made (or any data directory), or - for the archive \
            of 'caliby backup --to -' on standard input. The backup is copied into DIR.restore-<pid> \
            beside the target and verified there as a whole: the catalog's checksum, every page's \
            checksum and everything 'caliby check' checks. Damage anywhere fails with exit 76 and \
            leaves the target as it was. Only then does the new directory take the target's name, \
            in one atomic rename (renameat2 RENAME_EXCHANGE), and the old one is removed: a restore \
            killed at any instant leaves the old directory or the new one, never a mix, and the \
            next restore removes what it left. The target (--into, else the data directory) must \
            be a data directory, an empty directory or a new name; its write lock is held \
            throughout, so a directory in use fails with exit 75 (or is waited for, see --wait).
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The backup: a directory, or - for an archive on stdin.", valueName: "source"),
              completion: .directory)
    var source: String

    @Option(name: .long, help: ArgumentHelp("The data directory to replace or create (default: the data directory, see --dir).",
                                            valueName: "dir"), completion: .directory)
    var into: String?

    func run() throws {
        try Caliby.setBufferConfig(sizeBytes: global.bufferBytes())
        let target = into ?? global.directory
        let started = monotonicSeconds()
        let summary = try Caliby.restore(from: source, into: target, waitSeconds: global.waitSeconds())
        Terminal.write("restored \(summary.describe(seconds: monotonicSeconds() - started)) into \(target)\n")
    }
}
