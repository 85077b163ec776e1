import Foundation
@testable import CalibyEngine

/// Records each read, read-ahead and map of one file: the pages read, by offset (a read of several
/// pages at once, as `PageSpace.preload` does, counts as a read of each), and the calls. Fails the
/// file's maps with `failMaps` when given.
final class PageReads: FileIOHook, @unchecked Sendable {
    let path: String
    let pageSize: Int
    let failMaps: Int32?
    private let lock = NSLock()
    private var reads: Set<Int> = [], readAheads: [Range<Int>] = []
    private var pendingAsks: Set<Int> = [], readCount = 0, readsAsked = 0
    private var readCalls = 0, bytesRead = 0, maps = 0
    init(path: String, pageSize: Int = 4096, failMaps: Int32? = nil) {
        self.path = path
        self.pageSize = pageSize
        self.failMaps = failMaps
    }
    func willPerform(_ operation: FileOperation) -> Int32? {
        operation.kind == .map && operation.path == path ? failMaps : nil
    }
    func didPerform(_ operation: FileOperation) {
        guard operation.path == path else { return }
        lock.withLock {
            if operation.kind == .map { maps += 1 }
            if operation.kind == .read {
                readCalls += 1
                bytesRead += operation.count
                for offset in stride(from: operation.offset, to: operation.offset + operation.count, by: pageSize) {
                    reads.insert(offset)
                    readCount += 1
                    if pendingAsks.remove(offset) != nil { readsAsked += 1 }
                }
            }
            if operation.kind == .readAhead {
                readAheads.append(operation.offset..<operation.offset + operation.count)
                pendingAsks.insert(operation.offset)
            }
        }
    }
    var recorded: (reads: Set<Int>, readAheads: [Range<Int>]) { lock.withLock { (reads, readAheads) } }

    /// The read calls (one may read several pages), the bytes they read, and the maps.
    var counted: (reads: Int, bytes: Int, maps: Int) { lock.withLock { (readCalls, bytesRead, maps) } }

    /// In order: how many reads there were and how many of them read a page asked ahead since it
    /// was last read; how many pages were asked ahead and never read after (each a wasted disk
    /// read). An ask is known by its offset, so a range asked at once counts as its first page.
    var askedAhead: (reads: Int, readsAsked: Int, asks: Int, asksUnread: Int) {
        lock.withLock { (readCount, readsAsked, readAheads.count, pendingAsks.count) }
    }
}
