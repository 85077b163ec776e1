import Foundation
@testable import CalibyEngine

/// Records each read and read-ahead of one file, by offset.
final class PageReads: FileIOHook, @unchecked Sendable {
    let path: String
    private let lock = NSLock()
    private var reads: Set<Int> = [], readAheads: [Range<Int>] = []
    init(path: String) { self.path = path }
    func willPerform(_ operation: FileOperation) -> Int32? { nil }
    func didPerform(_ operation: FileOperation) {
        guard operation.path == path else { return }
        lock.withLock {
            if operation.kind == .read { reads.insert(operation.offset) }
            if operation.kind == .readAhead { readAheads.append(operation.offset..<operation.offset + operation.count) }
        }
    }
    var recorded: (reads: Set<Int>, readAheads: [Range<Int>]) { lock.withLock { (reads, readAheads) } }
}
