import Foundation
import Glibc
import XCTest
@testable import CalibyEngine

/// `PosixFile.readAhead` asks the kernel for all of a long range: a batch's preload of DiskANN's
/// codes relies on the whole range being on its way before the first page is needed.
final class ReadAheadTests: XCTestCase {
    /// How many of the file's first `bytes` are in the page cache.
    private func cachedBytes(_ fd: Int32, _ bytes: Int) throws -> Int {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard let mapped = mmap(nil, bytes, PROT_READ, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            throw XCTSkip("cannot map the file to ask what is cached (errno \(errno))")
        }
        defer { munmap(mapped, bytes) }
        var resident = [UInt8](repeating: 0, count: bytes / page)
        guard mincore(mapped, bytes, &resident) == 0 else { throw XCTSkip("mincore failed (errno \(errno))") }
        return resident.filter { $0 & 1 != 0 }.count * page
    }

    func testARangeLongerThanTheKernelsReadAheadIsAskedForWhole() throws {
        // Three times the 8 MiB Linux starts per advice on this machine's disk.
        let bytes = 24 << 20
        let path = temporaryDirectory(self)
        let writer = try PosixFile(path: path, flags: O_RDWR | O_CREAT)
        try writer.write([UInt8](repeating: 0x5A, count: bytes), count: bytes, at: 0)
        try writer.sync()
        let file = try PosixFile(path: path, flags: O_RDONLY)
        XCTAssertEqual(posix_fadvise(file.fd, 0, 0, POSIX_FADV_DONTNEED), 0)
        guard try cachedBytes(file.fd, bytes) < bytes / 8 else {
            throw XCTSkip("this file system keeps its files in memory: nothing to read ahead")
        }
        file.readAhead(at: 0, count: bytes)
        // The reads run after the call returns; wait for them, not for a time.
        let deadline = Date().addingTimeInterval(20)
        var cached = 0
        while Date() < deadline {
            cached = try cachedBytes(file.fd, bytes)
            if cached == bytes { break }
            usleep(20_000)
        }
        XCTAssertEqual(cached, bytes, "every byte asked for is read")
    }
}
