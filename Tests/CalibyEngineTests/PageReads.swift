import Foundation
@testable import CalibyEngine

/// Records each read and read-ahead of one file, by offset.
final class PageReads: FileIOHook, @unchecked Sendable {
    let path: String
    private let lock = NSLock()
    private var reads: Set<Int> = [], readAheads: [Range<Int>] = []
    private var pendingAsks: Set<Int> = [], readCount = 0, readsAsked = 0
    init(path: String) { self.path = path }
    func willPerform(_ operation: FileOperation) -> Int32? { nil }
    func didPerform(_ operation: FileOperation) {
        guard operation.path == path else { return }
        lock.withLock {
            if operation.kind == .read {
                reads.insert(operation.offset)
                readCount += 1
                if pendingAsks.remove(operation.offset) != nil { readsAsked += 1 }
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
