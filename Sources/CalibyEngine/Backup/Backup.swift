import Glibc

/// What a backup or a restore copied.
package struct BackupSummary: Sendable {
    package var indexes = 0
    package var files = 0
    /// The files' sizes (holes included): what a reader of the archive receives.
    package var bytes = 0
}

extension Database {
    /// Copies the last commit of the chosen indexes (every index when `names` is empty) into
    /// `sink`: each index's files, every page read once and verified (PageCopy), then a catalog
    /// naming only those indexes under their own ids and generation. Raw file reads are the last
    /// commit because the directory lock keeps writers out for as long as this handle is open
    /// (shared for a read-only handle: searches go on), and opening already rolled back a hot
    /// journal; a handle with changes of its own pending is refused, since its files may hold
    /// pages of that uncommitted transaction.
    func backup(indexes names: [String], into sink: BackupSink) throws -> BackupSummary {
        try requireOpen()
        if hasUncommittedChanges { throw CalibyError.uncommittedChanges(directory: directory) }
        var wanted = Set<UInt32>()
        for name in names { wanted.insert(try info(named: name).id) }
        var copy = catalog
        if !names.isEmpty { copy.indexes = catalog.indexes.filter { wanted.contains($0.id) } }
        var summary = BackupSummary(indexes: copy.indexes.count)
        for info in copy.indexes {
            var files = [(info.fileName, info.pageSize)]
            if let documents = info.documentFileName { files.append((documents, DocumentLayout.pageSize)) }
            for (name, pageSize) in files {
                let path = directory + "/" + name
                guard FileSystem.exists(path) else { throw CalibyError.corrupt(path: path, detail: "index file is missing") }
                summary.bytes += try PageCopy.copy(pageFile: path, as: name, pageSize: pageSize, into: sink)
                summary.files += 1
            }
        }
        let catalogBytes = try copy.encoded()
        try PageCopy.copy(bytes: catalogBytes, as: Database.catalogFileName, into: sink)
        summary.files += 1
        summary.bytes += catalogBytes.count
        return summary
    }
}

extension Caliby {
    /// `caliby backup DEST`: a new data directory at `destination` holding the chosen indexes of
    /// `database` as last committed; refused when `destination` exists. Protocol and crash
    /// behaviour: Backup/StagingDirectory.swift.
    package static func backup(_ database: Database, indexes names: [String], toDirectory destination: String) throws -> BackupSummary {
        if FileSystem.exists(destination) {
            throw CalibyError.invalidArgument("\(destination) exists already (a backup never writes over anything)")
        }
        let staging = try StagingDirectory(for: destination, purpose: .backup)
        return try staging.fill { sink in
            let summary = try database.backup(indexes: names, into: sink)
            try staging.publish()
            return summary
        }
    }

    /// `caliby backup --to -`: the chosen indexes as one ustar archive on standard output
    /// (TarArchive), the catalog last.
    package static func backupToStandardOutput(_ database: Database, indexes names: [String]) throws -> BackupSummary {
        let sink = TarSink(try StreamFile.standardOutput())
        let summary = try database.backup(indexes: names, into: sink)
        try sink.finish()
        return summary
    }
}
