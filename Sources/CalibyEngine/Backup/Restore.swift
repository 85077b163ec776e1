import Glibc

extension Caliby {
    /// `caliby restore`: replaces the data directory `target` (or creates it) with the backup at
    /// `source`, a data directory, or "-" for a backup archive on standard input. The backup is
    /// copied into a staging directory beside `target` and verified there as a whole — the catalog,
    /// every page's checksum and everything `caliby check` checks — before `target` is touched;
    /// damage anywhere fails the restore with `target` as it was. `target` must be a data
    /// directory, an empty directory or a new name; its write lock is held throughout, so a
    /// directory in use is refused (or waited for, `waitSeconds`). Protocol: StagingDirectory.
    package static func restore(from source: String, into target: String, waitSeconds: Double) throws -> BackupSummary {
        let exists = FileSystem.exists(target)
        if exists {
            guard FileSystem.isDirectory(target) else { throw CalibyError.invalidArgument("\(target) exists and is not a directory") }
            guard try FileSystem.exists(target + "/" + Database.catalogFileName) || FileSystem.list(target).isEmpty else {
                throw CalibyError.invalidArgument("\(target) is neither a data directory nor empty; restore replaces nothing else")
            }
        }
        let lock = exists ? try DirectoryLock(directory: target, mode: .readWrite, waitSeconds: waitSeconds) : nil
        defer { withExtendedLifetime(lock) {} }
        let staging = try StagingDirectory(for: target, purpose: .restore)
        return try staging.fill { sink in
            try refusingDamage(of: source, target: target) {
                if source == "-" {
                    try TarExtract.extract(from: StreamFile.standardInput(), into: sink)
                } else {
                    let database = try Caliby.open(source, mode: .readOnly, waitSeconds: waitSeconds)
                    defer { try? database.close() }
                    _ = try database.backup(indexes: [], into: sink)
                }
            }
            let summary = try refusingDamage(of: source, target: target) { try verify(staging.path) }
            if exists { try staging.swap() } else { try staging.publish() }
            return summary
        }
    }

    /// Damage found in a backup, said as such: the message names the backup and that the target
    /// was left alone, then what was found.
    private static func refusingDamage<T>(of source: String, target: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as CalibyError where error.category == .corrupt {
            let shown = source == "-" ? "<stdin>" : source
            var found = error.description
            // Damage in the stream itself already names the backup: said once, not twice.
            if case .corrupt(let path, let detail) = error, path == shown { found = detail }
            throw CalibyError.corrupt(path: shown, detail: "backup failed verification, \(target) left as it was: \(found)")
        }
    }

    /// `caliby check` of a whole staged directory: every index, and no file its catalog does not
    /// name. Returns what it holds.
    private static func verify(_ directory: String) throws -> BackupSummary {
        let database = try Caliby.open(directory, mode: .readOnly)
        defer { try? database.close() }
        var problems: [String] = []
        var summary = BackupSummary()
        for info in database.listIndexes() {
            problems += try database.check(info).map { "index '\(info.name)': \($0)" }
            summary.indexes += 1
        }
        problems += try database.unnamedIndexFiles().map { "\($0) is not named by the catalog" }
        if let first = problems.first {
            let more = problems.count > 1 ? " (and \(problems.count - 1) more problems)" : ""
            throw CalibyError.corrupt(path: directory, detail: first + more)
        }
        for name in try FileSystem.list(directory) where name != DirectoryLock.fileName {
            summary.files += 1
            summary.bytes += try PosixFile(path: directory + "/" + name, flags: O_RDONLY | PosixFile.inDirectory).size()
        }
        return summary
    }
}
