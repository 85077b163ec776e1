import Foundation
@testable import CalibyEngine

/// Records each read and read-ahead of one file, by offset; a read of several pages at once
/// (`PageSpace.preload`) counts as a read of each.
final class PageReads: FileIOHook, @unchecked Sendable {
    let path: String
    let pageSize: Int
    private let lock = NSLock()
    private var reads: Set<Int> = [], readAheads: [Range<Int>] = []
    private var pendingAsks: Set<Int> = [], readCount = 0, readsAsked = 0
    init(path: String, pageSize: Int = 4096) {
        self.path = path
        self.pageSize = pageSize
    }
    func willPerform(_ operation: FileOperation) -> Int32? { nil }
    func didPerform(_ operation: FileOperation) {
        guard operation.path == path else { return }
        lock.withLock {
            if operation.kind == .read {
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

    /// In order: how many reads there were and how many of them read a page asked ahead since it
    /// was last read; how many pages were asked ahead and never read after (each a wasted disk
    /// read). An ask is known by its offset, so a range asked at once counts as its first page.
    var askedAhead: (reads: Int, readsAsked: Int, asks: Int, asksUnread: Int) {
        lock.withLock { (readCount, readsAsked, readAheads.count, pendingAsks.count) }
    }
}
