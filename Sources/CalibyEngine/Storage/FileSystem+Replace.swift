import CFileSystem
import Glibc

/// The directory-level steps of backup and restore (Backup/DirectorySwap.swift), through `FileIO`
/// as a `rename` or `unlink` so tests can fail or watch them.
extension FileSystem {
    /// Renames `from` to `to`, refusing with EEXIST when `to` exists.
    static func renameNoReplace(_ from: String, _ to: String) throws {
        if FileIO.perform(FileOperation(kind: .rename, path: from, target: to), { Int(caliby_rename_noreplace(from, to)) }) != 0 {
            if errno == EEXIST { throw CalibyError.invalidArgument("\(to) exists already") }
            throw CalibyError.io(path: from, operation: "rename to \(to)", errno: errno)
        }
    }

    /// Swaps the names `a` and `b` in one step (renameat2 RENAME_EXCHANGE).
    static func exchange(_ a: String, _ b: String) throws {
        if FileIO.perform(FileOperation(kind: .rename, path: a, target: b), { Int(caliby_rename_exchange(a, b)) }) != 0 {
            throw CalibyError.io(path: a, operation: "exchange with \(b)", errno: errno)
        }
    }

    /// Removes a directory of plain files (what backup and restore stage): its files, then itself.
    static func removeTree(_ path: String) throws {
        for name in try list(path) { try remove(path + "/" + name) }
        if FileIO.perform(FileOperation(kind: .unlink, path: path), { Int(rmdir(path)) }) != 0 && errno != ENOENT {
            throw CalibyError.io(path: path, operation: "rmdir", errno: errno)
        }
    }

    /// The directory holding `path` ("." for a bare name), and the last component.
    static func split(_ path: String) -> (parent: String, name: String) {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return (".", String(trimmed)) }
        let parent = trimmed[..<slash]
        return (parent.isEmpty ? "/" : String(parent), String(trimmed[trimmed.index(after: slash)...]))
    }
}
