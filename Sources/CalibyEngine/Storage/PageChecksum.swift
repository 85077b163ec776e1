/// Every page ends in a 16-byte trailer, written when the page goes to disk and verified when it is
/// read back:
///
///     [size-16] UInt32 magic "CPG1"   [size-12] UInt32 page number   [size-8] UInt64 checksum
///
/// The checksum covers everything before it, page number included, so a flipped byte, a torn write
/// and a page written to the wrong place are all caught. Index code never touches the trailer: it
/// sees `PageLayout.usableBytes(pageSize)` bytes.
enum PageTrailer {
    static let size = 16
    static let magic: UInt32 = 0x3147_5043  // "CPG1" little-endian

    static func stamp(_ page: UnsafeMutableRawPointer, pageSize: Int, pageNumber: Int) {
        page.storeBytes(of: magic, toByteOffset: pageSize - 16, as: UInt32.self)
        page.storeBytes(of: UInt32(truncatingIfNeeded: pageNumber), toByteOffset: pageSize - 12, as: UInt32.self)
        let sum = checksum(UnsafeRawPointer(page), count: pageSize - 8)
        page.storeBytes(of: sum, toByteOffset: pageSize - 8, as: UInt64.self)
    }

    /// nil when intact, otherwise what is wrong.
    static func verify(_ page: UnsafeRawPointer, pageSize: Int, pageNumber: Int) -> String? {
        let stored = page.loadUnaligned(fromByteOffset: pageSize - 8, as: UInt64.self)
        if stored != checksum(page, count: pageSize - 8) { return "checksum mismatch" }
        if page.loadUnaligned(fromByteOffset: pageSize - 16, as: UInt32.self) != magic { return "not a Caliby page" }
        let number = page.loadUnaligned(fromByteOffset: pageSize - 12, as: UInt32.self)
        if number != UInt32(truncatingIfNeeded: pageNumber) { return "holds page \(number) instead" }
        return nil
    }

    /// Four independent multiply-xor lanes over 8-byte words: fast enough to be lost in the I/O it
    /// guards, and any single-bit change alters the result.
    static func checksum(_ bytes: UnsafeRawPointer, count: Int) -> UInt64 {
        precondition(count % 8 == 0)
        let prime: UInt64 = 0x9E37_79B9_7F4A_7C15
        var a: UInt64 = 0x243F_6A88_85A3_08D3, b: UInt64 = 0x1319_8A2E_0370_7344
        var c: UInt64 = 0xA409_3822_299F_31D0, d: UInt64 = 0x082E_FA98_EC4E_6C89
        let words = count / 8
        var i = 0
        while i + 4 <= words {
            a = (a ^ bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) &* prime
            b = (b ^ bytes.loadUnaligned(fromByteOffset: i * 8 + 8, as: UInt64.self)) &* prime
            c = (c ^ bytes.loadUnaligned(fromByteOffset: i * 8 + 16, as: UInt64.self)) &* prime
            d = (d ^ bytes.loadUnaligned(fromByteOffset: i * 8 + 24, as: UInt64.self)) &* prime
            a ^= a >> 29; b ^= b >> 29; c ^= c >> 29; d ^= d >> 29
            i += 4
        }
        while i < words {
            a = (a ^ bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) &* prime
            a ^= a >> 29
            i += 1
        }
        var h = a ^ (b &* 31) ^ (c &* 961) ^ (d &* 29791) ^ UInt64(count)
        h ^= h >> 33; h = h &* prime; h ^= h >> 29
        return h
    }
}

package enum PageLayout {
    package static func usableBytes(_ pageSize: Int) -> Int { pageSize - PageTrailer.size }

    static let smallestPageSize = 4096

    /// The smallest power-of-two page, at least 4 KiB, that holds `recordBytes` in its usable part.
    package static func pageSize(forRecord recordBytes: Int) -> Int {
        var size = smallestPageSize
        while usableBytes(size) < recordBytes { size *= 2 }
        return size
    }

    /// The smallest power-of-two page, at least 4 KiB, whose records (`recordBytes` each, whole
    /// ones only) leave at most an eighth of it unused, or 64 KiB: a 2,080-byte record (384-d with
    /// int8 codes) would fill half of a 4 KiB page and 89 % of a 16 KiB one.
    package static func densePageSize(forRecord recordBytes: Int) -> Int {
        var size = pageSize(forRecord: recordBytes)
        while size < 1 << 16 && (size - (usableBytes(size) / recordBytes) * recordBytes) * 8 > size { size *= 2 }
        return size
    }

    /// 4 KiB while such a page holds four records or more, else `densePageSize`: a search or build
    /// through a pool far smaller than the file reads a whole page per record it misses, and on
    /// 832-byte records (128-d, int8, on cache lines) 8 KiB pages of nine, though less wasteful than
    /// 4 KiB pages of four, made such searches 0.6–0.85× and such a build 0.56× as fast.
    static func smallPageSize(forRecord recordBytes: Int) -> Int {
        usableBytes(smallestPageSize) / recordBytes >= 4 ? smallestPageSize : densePageSize(forRecord: recordBytes)
    }
}
