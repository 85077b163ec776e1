import Foundation
import XCTest
@testable import CalibyEngine

/// A disk between the engine and one data directory, after SQLite's test VFS: installed as the
/// engine's `FileIO.hook`, it sees every file operation and can
/// - fail the Nth operation of a kind with an errno (EIO, ENOSPC), once;
/// - crash at the Nth sync: that sync fails and so does every operation after it, as if the process
///   had died there (the engine's error paths run, but can no longer change the disk);
/// - behave as a full disk: a write that needs a block the file does not have fails with ENOSPC;
/// - cut the power: rewrite the directory as a disk would hold it after a power loss — each file
///   as of its last fsync, each name as of the directory's last fsync — and optionally tear what
///   was not synced (each unsynced 512-byte sector written, lost or garbage at random, a random
///   prefix of the unsynced directory operations kept).
///
/// Files are tracked by identity (a number given at creation), not by name or inode: names move
/// (rename) and inode numbers are reused after unlink. Contents are read through the engine's own
/// descriptors, never by opening the files again: closing a second descriptor of a file would drop
/// the engine's fcntl locks on it.
final class SimulatedDisk: FileIOHook {
    enum Mode {
        case observe
        case fail(FileOperation.Kind, nth: Int, errno: Int32)
        case crash(atSync: Int)
        case full
    }

    let directory: String
    let mode: Mode
    private let lock = NSLock()
    private(set) var counts: [FileOperation.Kind: Int] = [:]
    private(set) var syncs = 0
    private(set) var crashed = false
    private(set) var injected = false

    private enum Unsynced { case write(offset: Int, bytes: [UInt8]), truncate(Int) }
    private enum DirectoryChange { case link(String, Int), unlink(String), rename(String, String) }

    private var nextIdentity = 0
    private var identityOfInode: [UInt64: Int] = [:]
    private var durable: [Int: [UInt8]] = [:]
    private var unsynced: [Int: [Unsynced]] = [:]
    private var durableNames: [String: Int] = [:]
    private var unsyncedNames: [DirectoryChange] = []
    private var creating: Set<String> = []

    /// Takes the directory as it is now as durable (tests start from a committed, synced state).
    init(directory: String, mode: Mode) throws {
        self.directory = directory
        self.mode = mode
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let path = directory + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { continue }
            let id = newIdentity()
            identityOfInode[UInt64(st.st_ino)] = id
            durable[id] = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
            durableNames[name] = id
        }
    }

    func install() { FileIO.hook = self }
    func uninstall() { FileIO.hook = nil }

    private func newIdentity() -> Int {
        nextIdentity += 1
        return nextIdentity
    }

    private func name(_ path: String) -> String? {
        let prefix = directory + "/"
        guard path.hasPrefix(prefix) else { return nil }
        let rest = String(path.dropFirst(prefix.count))
        return rest.contains("/") ? nil : rest
    }

    private func inDirectory(_ op: FileOperation) -> Bool { name(op.path) != nil || op.path == directory }

    func willPerform(_ op: FileOperation) -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        guard inDirectory(op) else { return nil }
        if crashed { return EIO }
        counts[op.kind, default: 0] += 1
        if op.kind == .sync || op.kind == .syncDirectory { syncs += 1 }
        switch mode {
        case .observe:
            break
        case .fail(let kind, let nth, let code):
            if op.kind == kind && counts[kind] == nth {
                injected = true
                return code
            }
        case .crash(let atSync):
            if (op.kind == .sync || op.kind == .syncDirectory) && syncs == atSync {
                crashed = true
                injected = true
                return EIO
            }
        case .full:
            if op.kind == .write && !allocated(fd: op.fd, offset: op.offset, count: op.count) {
                injected = true
                return ENOSPC
            }
        }
        if op.kind == .open, op.flags & O_CREAT != 0, let name = name(op.path), !FileManager.default.fileExists(atPath: op.path) {
            creating.insert(name)
        }
        return nil
    }

    /// Whether every block of the range is already allocated (so writing it needs no free space).
    private func allocated(fd: Int32, offset: Int, count: Int) -> Bool {
        var st = stat()
        guard fstat(fd, &st) == 0, offset + count <= Int(st.st_size) else { return false }
        let seekHole: Int32 = 4  // SEEK_HOLE, which Glibc's Swift module leaves out (_GNU_SOURCE)
        let hole = lseek(fd, off_t(offset), seekHole)
        return hole < 0 || Int(hole) >= offset + count
    }

    func didPerform(_ op: FileOperation) {
        lock.lock()
        defer { lock.unlock() }
        guard inDirectory(op) else { return }
        switch op.kind {
        case .open:
            guard let name = name(op.path) else { return }
            var st = stat()
            guard fstat(op.fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return }
            if creating.remove(name) != nil {
                let id = newIdentity()
                identityOfInode[UInt64(st.st_ino)] = id
                durable[id] = []
                unsyncedNames.append(.link(name, id))
            } else if identityOfInode[UInt64(st.st_ino)] == nil {
                let id = newIdentity()
                identityOfInode[UInt64(st.st_ino)] = id
                durable[id] = contents(op.fd)
            }
        case .write:
            unsynced[identity(op.fd), default: []].append(.write(offset: op.offset, bytes: Array(op.bytes!)))
        case .punchHole:
            unsynced[identity(op.fd), default: []].append(.write(offset: op.offset, bytes: [UInt8](repeating: 0, count: op.count)))
        case .truncate:
            unsynced[identity(op.fd), default: []].append(.truncate(op.count))
        case .sync:
            let id = identity(op.fd)
            durable[id] = contents(op.fd)
            unsynced[id] = nil
        case .syncDirectory:
            for change in unsyncedNames { apply(change, to: &durableNames) }
            unsyncedNames.removeAll()
        case .unlink:
            if let name = name(op.path) { unsyncedNames.append(.unlink(name)) }
        case .rename:
            if let from = name(op.path), let to = op.target.flatMap(name) { unsyncedNames.append(.rename(from, to)) }
        case .read, .readAhead, .map, .makeDirectory:
            break
        }
    }

    private func identity(_ fd: Int32) -> Int {
        var st = stat()
        fstat(fd, &st)
        return identityOfInode[UInt64(st.st_ino)]!
    }

    private func contents(_ fd: Int32) -> [UInt8] {
        var st = stat()
        fstat(fd, &st)
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        if bytes.withUnsafeMutableBytes({ pread(fd, $0.baseAddress, $0.count, 0) }) < 0 && errno == EBADF {
            // A write-only descriptor (the catalog's temporary file, which nobody locks, so a
            // second descriptor costs no lock).
            let reader = open("/proc/self/fd/\(fd)", O_RDONLY)
            _ = bytes.withUnsafeMutableBytes { pread(reader, $0.baseAddress, $0.count, 0) }
            close(reader)
        }
        return bytes
    }

    private func apply(_ change: DirectoryChange, to names: inout [String: Int]) {
        switch change {
        case .link(let name, let id): names[name] = id
        case .unlink(let name): names[name] = nil
        case .rename(let from, let to):
            names[to] = names[from]
            names[from] = nil
        }
    }

    /// Rewrites the directory as the disk would hold it after a power loss now. Call after
    /// `uninstall`, with no database open on the directory.
    func cutPower(tearing seed: UInt64? = nil) throws {
        var rng = SeededGenerator(seed: seed ?? 0)
        var names = durableNames
        let keptChanges = seed == nil ? 0 : Int.random(in: 0...unsyncedNames.count, using: &rng)
        for change in unsyncedNames.prefix(keptChanges) { apply(change, to: &names) }
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            var st = stat()
            if lstat(directory + "/" + name, &st) == 0, st.st_mode & S_IFMT == S_IFREG { unlink(directory + "/" + name) }
        }
        for (name, id) in names {
            var bytes = durable[id] ?? []
            if seed != nil {
                for change in unsynced[id] ?? [] {
                    switch change {
                    case .truncate(let size):
                        if Bool.random(using: &rng) { bytes = Array(bytes.prefix(size)) + [UInt8](repeating: 0, count: max(0, size - bytes.count)) }
                    case .write(let offset, let data):
                        // Each sector: written or lost (sectors are atomic), or, past the durable end
                        // of the file, garbage (a file system without ordered data mode may show
                        // stale blocks in a file that grew but was not synced).
                        let durableEnd = durable[id]?.count ?? 0
                        for sector in stride(from: 0, to: data.count, by: 512) {
                            let fate = Int.random(in: 0..<(offset + sector >= durableEnd ? 3 : 2), using: &rng)
                            guard fate != 1 else { continue }
                            let end = min(data.count, sector + 512)
                            if bytes.count < offset + end { bytes += [UInt8](repeating: 0, count: offset + end - bytes.count) }
                            let written = fate == 0 ? Array(data[sector..<end]) : (sector..<end).map { _ in UInt8.random(in: 1...255, using: &rng) }
                            bytes.replaceSubrange((offset + sector)..<(offset + end), with: written)
                        }
                    }
                }
            }
            try SimulatedDisk.writeSparse(bytes, to: directory + "/" + name)
        }
    }

    /// Writes only the 4 KiB blocks that hold something, so never-written pages stay holes (a full
    /// disk then refuses to fill them, as a real one would).
    private static func writeSparse(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CalibyError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        bytes.withUnsafeBytes { raw in
            for block in stride(from: 0, to: raw.count, by: 4096) {
                let end = min(raw.count, block + 4096)
                if raw[block..<end].contains(where: { $0 != 0 }) { _ = pwrite(fd, raw.baseAddress! + block, end - block, off_t(block)) }
            }
        }
        ftruncate(fd, off_t(bytes.count))
    }
}
