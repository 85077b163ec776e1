import Glibc

/// A data directory built under a temporary name beside the name it will have, for `backup` (a
/// new name) and `restore` (a new name, or one to replace). The protocol's invariants:
///
/// 1. The staging directory is `NAME.backup-<pid>` or `NAME.restore-<pid>` in NAME's parent: the
///    same file system, so its rename is atomic, and a name nothing else reads or writes.
/// 2. Every file in it is fsynced as it is completed (DirectorySink), and the staging directory
///    before its rename, so whatever NAME comes to denote is durable as a whole; the parent is
///    fsynced after the rename, and a power cut before that leaves the old name, the old state.
/// 3. Backup renames with RENAME_NOREPLACE: NAME did not exist, and if something appeared there
///    meanwhile it is left alone and the backup fails.
/// 4. Restore verifies the staging directory whole before NAME is touched (Restore.swift), holds
///    NAME's write lock from before staging begins until the swap, and swaps with
///    renameat2(RENAME_EXCHANGE): NAME denotes the old directory until the one instant it denotes
///    the new one, never a mix and never nothing. The old directory, now under the staging name,
///    is removed afterwards.
/// 5. So a process killed at any instant leaves NAME as it was or as it was to become, plus at
///    most a staging directory. The next backup or restore to NAME removes those whose process is
///    gone (kill(pid, 0) fails with ESRCH); a live one is another run's and stays.
final class StagingDirectory {
    enum Purpose: String { case backup, restore }

    let path: String
    /// NAME, spelled parent/name.
    let target: String
    private let parent: String
    /// Once the staging directory has taken NAME, its name no longer holds it.
    private var published = false

    init(for destination: String, purpose: Purpose) throws {
        let (parent, name) = FileSystem.split(destination)
        guard FileSystem.isDirectory(parent) else { throw CalibyError.noSuchFile(parent) }
        self.parent = parent
        target = parent + "/" + name
        let prefix = name + "." + purpose.rawValue + "-"
        for entry in try FileSystem.list(parent) where entry.hasPrefix(prefix) {
            guard let pid = Int32(entry.dropFirst(prefix.count)), pid > 0 else { continue }
            if pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH) { try FileSystem.removeTree(parent + "/" + entry) }
        }
        path = parent + "/" + prefix + "\(getpid())"
        try FileSystem.makeDirectory(path)
    }

    /// Runs `body` with a sink into the staging directory; on failure before `publish` or `swap`
    /// the staging directory goes, and nothing else was touched.
    func fill<T>(_ body: (DirectorySink) throws -> T) throws -> T {
        do {
            return try body(DirectorySink(directory: path))
        } catch {
            if !published { try? FileSystem.removeTree(path) }
            throw error
        }
    }

    /// Gives the staging directory the name NAME, which must not exist (invariant 3).
    func publish() throws {
        try FileSystem.syncDirectory(path)
        try FileSystem.renameNoReplace(path, target)
        published = true
        try syncParentAfterRename()
    }

    /// Puts the staging directory in place of the directory NAME (invariant 4), then removes the
    /// old one. Should the parent's sync fail, the old directory stays under the staging name: a
    /// power loss may yet give NAME back to it, so its files must still be there; the next run
    /// removes it.
    func swap() throws {
        try FileSystem.syncDirectory(path)
        try FileSystem.exchange(path, target)
        published = true
        try syncParentAfterRename()
        try FileSystem.removeTree(path)
        try FileSystem.syncDirectory(parent)
    }

    /// The rename is the commit point, as the catalog's is for a transaction: a failure after it
    /// says that the change is made but may not survive a power loss, never that nothing happened.
    private func syncParentAfterRename() throws {
        do {
            try FileSystem.syncDirectory(parent)
        } catch let error as CalibyError {
            throw CalibyError.committedButNotDurable(error.description)
        }
    }
}
