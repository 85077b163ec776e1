import Glibc

/// Records in slotted heap pages and overflow chains, and the page allocator the B+trees share
/// (formats in DocumentLayout.swift). Every count and offset read from a page is checked before use.
extension DocumentStore {
    private typealias L = DocumentLayout

    // MARK: Pages

    /// A page for the caller to format with `space.create`: the free list's head (zeroed here
    /// under `write`, so its old bytes are journaled and a rollback restores the list), else the
    /// next never-used page (a hole, journaled as one).
    func allocatePage() throws -> Int {
        let (free, highWater) = mutex.withLock { (header.freeHead, header.highWater) }
        if free != 0 {
            let next = try space.write(free) { p -> Int in
                let kind = p.load(as: UInt16.self)
                let next = Int(p.load(fromByteOffset: 8, as: UInt64.self))
                memset(p, 0, L.usable)
                return kind == L.freeKind ? next : -1
            }
            guard next == 0 || (next >= layout.firstAllocatablePage && next < highWater) else {
                throw damage("free list page \(free) is not a free page or links to \(next)")
            }
            mutex.withLock {
                header.freeHead = next
                header.freeCount -= 1
            }
            guard (next == 0) == (mutex.withLock { header.freeCount } == 0) else {
                throw damage("the free list ends after a different number of pages than header field freeCount says")
            }
            return free
        }
        guard highWater < layout.capacityPages else {
            throw CalibyError.capacity(index: indexName, detail: "its documents fill the \(ByteCount.text(layout.capacityPages * L.pageSize)) "
                                       + "reserved for them at create")
        }
        mutex.withLock {
            header.highWater += 1
        }
        return highWater
    }

    func freePage(_ page: Int) throws {
        let head = mutex.withLock { header.freeHead }
        try space.write(page) { p in
            memset(p, 0, L.usable)
            p.storeBytes(of: L.freeKind, as: UInt16.self)
            p.storeBytes(of: UInt64(head), toByteOffset: 8, as: UInt64.self)
        }
        mutex.withLock {
            header.freeHead = page
            header.freeCount += 1
            if header.fillPage == page { header.fillPage = 0 }
        }
    }

    /// A page number read from a page, checked against the pages allocated so far.
    func checkedPage(_ page: Int, from: String) throws -> Int {
        let highWater = mutex.withLock { header.highWater }
        guard page >= layout.firstAllocatablePage && page < highWater else {
            throw damage("\(from) refers to page \(page), outside the allocated pages \(layout.firstAllocatablePage)..<\(highWater)")
        }
        return page
    }

    // MARK: Reading

    /// Runs `body` over a record's encoded document: in place for an inline record, gathered from
    /// its overflow chain otherwise.
    func withRecord<R>(_ ref: RecordRef, node: Int, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let found = try space.read(ref.page) { p -> FoundRecord<R> in
            let (offset, length) = try slot(ref.slot, of: p, page: ref.page)
            guard length > 0 else { throw damage("node \(node)'s document is in free slot \(ref.slot) of page \(ref.page)") }
            let record = UnsafeRawBufferPointer(start: p + offset, count: length)
            if record[0] == 0 { return .inline(try body(UnsafeRawBufferPointer(rebasing: record[1...]))) }
            guard record[0] == 1, length == 13 else { throw damage("record of node \(node) on page \(ref.page) has kind \(record[0]), length \(length)") }
            return .overflow(length: Int(record.loadUnaligned(fromByteOffset: 1, as: UInt32.self)),
                             first: Int(record.loadUnaligned(fromByteOffset: 5, as: UInt64.self)))
        }
        switch found {
        case .inline(let result): return result
        case .overflow(let length, let first):
            let bytes = try readOverflow(first: first, length: length)
            return try bytes.withUnsafeBytes(body)
        }
    }

    /// Slot `slot` of heap page `p`: (offset, length), bounded by the page.
    private func slot(_ slot: Int, of p: UnsafeRawPointer, page: Int) throws -> (Int, Int) {
        let kind = p.load(as: UInt16.self), count = Int(p.load(fromByteOffset: 2, as: UInt16.self))
        guard kind == L.heapKind else { throw damage("page \(page) is not a heap page (kind \(kind))") }
        guard slot < count, L.heapHeaderBytes + count * L.slotBytes <= L.usable else {
            throw damage("slot \(slot) of heap page \(page), which has \(count)")
        }
        let offset = Int(p.load(fromByteOffset: L.heapHeaderBytes + slot * L.slotBytes, as: UInt16.self))
        let length = Int(p.load(fromByteOffset: L.heapHeaderBytes + slot * L.slotBytes + 2, as: UInt16.self))
        guard length == 0 || (offset >= L.heapHeaderBytes + count * L.slotBytes && offset + length <= L.usable) else {
            throw damage("slot \(slot) of heap page \(page) spans \(offset)..<\(offset + length), outside the page's records")
        }
        return (offset, length)
    }

    private func readOverflow(first: Int, length: Int) throws -> [UInt8] {
        guard length > L.maxInlineBytes - 1 && length <= Schema.maxDocumentBytes else {
            throw damage("an overflow record of \(length) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: length)
        var page = first, done = 0
        while done < length {
            page = try checkedPage(page, from: "an overflow chain")
            let (used, next) = try space.read(page) { p -> (Int, Int) in
                guard p.load(as: UInt16.self) == L.overflowKind else { throw damage("page \(page) of an overflow chain is not an overflow page") }
                let used = Int(p.load(fromByteOffset: 2, as: UInt16.self))
                guard used > 0 && used <= min(L.overflowDataBytes, length - done) else {
                    throw damage("overflow page \(page) holds \(used) bytes, \(length - done) were expected")
                }
                bytes.withUnsafeMutableBytes { _ = memcpy($0.baseAddress! + done, p + L.overflowHeaderBytes, used) }
                return (used, Int(p.load(fromByteOffset: 8, as: UInt64.self)))
            }
            done += used
            guard (next == 0) == (done == length) else { throw damage("overflow chain at page \(page) ends after \(done) of \(length) bytes") }
            page = next
        }
        return bytes
    }

    // MARK: Writing

    /// Stores an encoded document and returns where.
    func storeRecord(_ document: [UInt8]) throws -> RecordRef {
        var record: [UInt8]
        if document.count + 1 <= L.maxInlineBytes {
            record = [0] + document
        } else {
            let first = try writeOverflow(document)
            record = [1]
            withUnsafeBytes(of: UInt32(document.count).littleEndian) { record += $0 }
            withUnsafeBytes(of: UInt64(first).littleEndian) { record += $0 }
        }
        let fill = mutex.withLock { header.fillPage }
        if fill != 0, let slot = try insert(record, into: fill) { return RecordRef(page: fill, slot: slot) }
        let page = try allocatePage()
        try space.create(page) { p in
            p.storeBytes(of: L.heapKind, as: UInt16.self)
            p.storeBytes(of: UInt16(L.usable), toByteOffset: 4, as: UInt16.self)
        }
        mutex.withLock {
            header.fillPage = page
        }
        guard let slot = try insert(record, into: page) else { throw damage("a record of \(record.count) bytes does not fit an empty page") }
        return RecordRef(page: page, slot: slot)
    }

    /// Puts a record into a heap page if it fits (compacting the page when its dead bytes make the
    /// room); nil when it does not.
    private func insert(_ record: [UInt8], into page: Int) throws -> Int? {
        let fits = try space.read(page) { p -> Bool in
            let (count, dataStart, dead, freeSlot) = try heapState(p, page: page)
            let needed = record.count + (freeSlot == nil ? L.slotBytes : 0)
            return dataStart - (L.heapHeaderBytes + count * L.slotBytes) + dead >= needed
        }
        guard fits else { return nil }
        return try space.write(page) { p -> Int in
            var (count, dataStart, dead, freeSlot) = try heapState(p, page: page)
            let needed = record.count + (freeSlot == nil ? L.slotBytes : 0)
            if dataStart - (L.heapHeaderBytes + count * L.slotBytes) < needed {
                dataStart = try compact(p, count: count, page: page)
                dead = 0
            }
            let slot = freeSlot ?? count
            if freeSlot == nil { count += 1 }
            dataStart -= record.count
            record.withUnsafeBytes { _ = memcpy(p + dataStart, $0.baseAddress!, record.count) }
            p.storeBytes(of: UInt16(dataStart), toByteOffset: L.heapHeaderBytes + slot * L.slotBytes, as: UInt16.self)
            p.storeBytes(of: UInt16(record.count), toByteOffset: L.heapHeaderBytes + slot * L.slotBytes + 2, as: UInt16.self)
            storeHeapState(p, count: count, dataStart: dataStart, dead: dead)
            return slot
        }
    }

    /// (slot count, dataStart, dead bytes, first free slot), checked against the page's bounds.
    private func heapState(_ p: UnsafeRawPointer, page: Int) throws -> (Int, Int, Int, Int?) {
        let kind = p.load(as: UInt16.self)
        let count = Int(p.load(fromByteOffset: 2, as: UInt16.self))
        let dataStart = Int(p.load(fromByteOffset: 4, as: UInt16.self))
        let dead = Int(p.load(fromByteOffset: 6, as: UInt16.self))
        guard kind == L.heapKind, L.heapHeaderBytes + count * L.slotBytes <= dataStart, dataStart <= L.usable,
              dead <= L.usable - dataStart else {
            throw damage("heap page \(page) is inconsistent (kind \(kind), \(count) slots, data from \(dataStart), \(dead) dead bytes)")
        }
        let freeSlot = (0..<count).first { p.load(fromByteOffset: L.heapHeaderBytes + $0 * L.slotBytes + 2, as: UInt16.self) == 0 }
        return (count, dataStart, dead, freeSlot)
    }

    private func storeHeapState(_ p: UnsafeMutableRawPointer, count: Int, dataStart: Int, dead: Int) {
        p.storeBytes(of: UInt16(count), toByteOffset: 2, as: UInt16.self)
        p.storeBytes(of: UInt16(dataStart), toByteOffset: 4, as: UInt16.self)
        p.storeBytes(of: UInt16(dead), toByteOffset: 6, as: UInt16.self)
    }

    /// Packs the live records against the end of the page; returns the new dataStart. Slots that
    /// overlap (damage) would make the packed records run into the slot array: refused first.
    private func compact(_ p: UnsafeMutableRawPointer, count: Int, page: Int) throws -> Int {
        let live = (0..<count).compactMap { slot -> (slot: Int, offset: Int, length: Int)? in
            let offset = Int(p.load(fromByteOffset: L.heapHeaderBytes + slot * L.slotBytes, as: UInt16.self))
            let length = Int(p.load(fromByteOffset: L.heapHeaderBytes + slot * L.slotBytes + 2, as: UInt16.self))
            return length == 0 || offset + length > L.usable ? nil : (slot, offset, length)
        }.sorted { $0.offset > $1.offset }
        guard live.reduce(0, { $0 + $1.length }) <= L.usable - (L.heapHeaderBytes + count * L.slotBytes) else {
            throw damage("the records of heap page \(page) overlap")
        }
        var end = L.usable
        for record in live {
            end -= record.length
            memmove(p + end, p + record.offset, record.length)
            p.storeBytes(of: UInt16(end), toByteOffset: L.heapHeaderBytes + record.slot * L.slotBytes, as: UInt16.self)
        }
        return end
    }

    /// Frees a record (and its overflow chain); a page left empty is freed, one left at least half
    /// free becomes the fill page.
    func removeRecord(_ ref: RecordRef) throws {
        let (overflow, empty, roomy) = try space.write(ref.page) { p -> (Int?, Bool, Bool) in
            let (offset, length) = try slot(ref.slot, of: p, page: ref.page)
            var (count, dataStart, dead, _) = try heapState(p, page: ref.page)
            guard length > 0 else { throw damage("record slot \(ref.slot) of page \(ref.page) is already free") }
            let overflow = p.load(fromByteOffset: offset, as: UInt8.self) == 1 && length == 13
                ? Int(p.loadUnaligned(fromByteOffset: offset + 5, as: UInt64.self)) : nil
            p.storeBytes(of: UInt32(0), toByteOffset: L.heapHeaderBytes + ref.slot * L.slotBytes, as: UInt32.self)
            if offset == dataStart { dataStart += length } else { dead += length }
            // Trailing free slots are dropped so the slot array does not only grow.
            while count > 0 && p.load(fromByteOffset: L.heapHeaderBytes + (count - 1) * L.slotBytes + 2, as: UInt16.self) == 0 { count -= 1 }
            if count == 0 { (dataStart, dead) = (L.usable, 0) }
            storeHeapState(p, count: count, dataStart: dataStart, dead: dead)
            let available = dataStart - (L.heapHeaderBytes + count * L.slotBytes) + dead
            return (overflow, count == 0, available >= L.usable / 2)
        }
        if let overflow { try freeOverflow(first: overflow) }
        let isFill = mutex.withLock { header.fillPage == ref.page }
        if empty && !isFill {
            try freePage(ref.page)
        } else if roomy && !isFill {
            mutex.withLock {
                header.fillPage = ref.page
            }
        }
    }

    private func writeOverflow(_ bytes: [UInt8]) throws -> Int {
        let pages = try (0..<(bytes.count + L.overflowDataBytes - 1) / L.overflowDataBytes).map { _ in try allocatePage() }
        for (i, page) in pages.enumerated() {
            let start = i * L.overflowDataBytes, used = min(L.overflowDataBytes, bytes.count - start)
            let next = i + 1 < pages.count ? pages[i + 1] : 0
            try space.create(page) { p in
                p.storeBytes(of: L.overflowKind, as: UInt16.self)
                p.storeBytes(of: UInt16(used), toByteOffset: 2, as: UInt16.self)
                p.storeBytes(of: UInt64(next), toByteOffset: 8, as: UInt64.self)
                bytes.withUnsafeBytes { _ = memcpy(p + L.overflowHeaderBytes, $0.baseAddress! + start, used) }
            }
        }
        return pages[0]
    }

    private func freeOverflow(first: Int) throws {
        var page = first, steps = 0
        while page != 0 {
            page = try checkedPage(page, from: "an overflow chain")
            steps += 1
            guard steps <= layout.capacityPages else { throw damage("overflow chain from page \(first) loops") }
            let next = try space.read(page) { p -> Int in
                guard p.load(as: UInt16.self) == L.overflowKind else { throw damage("page \(page) of an overflow chain is not an overflow page") }
                return Int(p.load(fromByteOffset: 8, as: UInt64.self))
            }
            try freePage(page)
            page = next
        }
    }
}

/// What reading a record's slot found: the caller's result over an inline record, or where its
/// overflow chain is (read after the heap page's latch is released).
private enum FoundRecord<R> {
    case inline(R)
    case overflow(length: Int, first: Int)
}
