import ArgumentParser
import CalibyEngine
import CMemory
import Glibc

@main
struct CalibyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "caliby",
        abstract: "An embedded vector database: named HNSW and DiskANN indexes in one data directory.",
        discussion: """
            Every command opens the data directory (--dir, $CALIBY_DIR, or \(GlobalOptions.defaultDirectoryDescription)), \
            takes its lock, does its work as one atomic transaction, and releases the directory. \
            A command killed at any instant leaves the directory as it was before the command.

            Output is an aligned table on a terminal and TSV otherwise; --format table, tsv, csv, json \
            or jsonl picks one. TSV and CSV have a header row; json is one array of objects, jsonl one \
            object per line, keyed by the header's column names. A distance is the shortest decimal that \
            reads back as the same 32-bit float. Search \
            rows are query (0-based), rank (1-based), id, distance (squared L2, 1 - inner product, or \
            1 - cosine), closest first.
            """,
        version: "caliby 0.1.0",
        subcommands: [
            InitCommand.self, CreateCommand.self, ListCommand.self, InfoCommand.self, InsertCommand.self,
            SearchCommand.self, GetCommand.self, UpdateCommand.self, DeleteCommand.self, AlterCommand.self, IndexCommand.self, ConsolidateCommand.self, ResizeCommand.self, VacuumCommand.self, ReorderCommand.self, DropCommand.self, FlushCommand.self, CheckCommand.self, RecoverCommand.self,
            StatsCommand.self, BackupCommand.self, RestoreCommand.self, UpgradeCommand.self,
            ReplCommand.self, ExitCodesCommand.self,
        ])

    /// Engine errors become one line on stderr and their documented exit status; everything else
    /// (usage, help, version) is argument-parser's.
    static func main() {
        _ = processStart
        pinMallocThresholds()
        if let refusal = Kernels.active.refusal { fputs("caliby: warning: \(refusal)\n", stderr) }
        do {
            let arguments = try GlobalOptions.movedAfterSubcommand(Array(CommandLine.arguments.dropFirst()))
            try requireKnownCommand(arguments)
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch let error as CalibyError {
            reportAndExit(error)
        } catch {
            reportUsageErrorAndExit(error)
        }
    }
}

/// Keeps the heap from growing past what the process holds. glibc raises its mmap threshold to the
/// size of each large block freed (up to 32 MiB) and its trim threshold to twice that, so after the
/// first 16 MiB load batch is freed, every buffer below 16 MiB (the commit's growing dirty-page
/// list among them) comes from the heap, and up to 32 MiB of freed heap stays resident: a 1M × 128
/// DiskANN load crept 17 MB over its budget that way. Setting both thresholds (to glibc's own
/// starting values) turns the raising off: large blocks are mapped and given back when freed.
/// The CLI's choice, not the engine's: a program linking the library keeps its own malloc policy.
private func pinMallocThresholds() {
    _ = mallopt(M_MMAP_THRESHOLD, 128 * 1024)
    _ = mallopt(M_TRIM_THRESHOLD, 128 * 1024)
}
