import Glibc

/// What `PageSpace.verifyEveryPage` found.
struct PageScan {
    /// One line per problem, naming the file; a run of pages with the same problem shares a line.
    var problems: [String] = []
    /// Pages up to here were read (those past it are past both the file and the written regions).
    var end = 0
    /// Pages before `end` that could not be read, damaged or never written.
    var unreadable = Set<Int>()
    /// Whether any page is damaged (a never-written page where the layout allows one is not).
    var foundDamage = false

    /// Whether a structure check can read `page`: it skips the others, whose damage, if any, is
    /// reported already.
    func isReadable(_ page: Int) -> Bool { page < end && !unreadable.contains(page) }
}

extension PageSpace {
    /// Reads every page of the file, and every page `written` says must exist, as `caliby check`
    /// must. Through the pool, so that a transaction's own pages count as they are now; a page that
    /// fails is judged by its bytes on disk. A page never written reads as zeros without a trailer:
    /// sound where the layout allocates lazily (outside `written`), damage inside. Pages past the
    /// layout's end and a size that is not a page multiple are reported too; nothing stops the scan.
    func verifyEveryPage(written: [Range<Int>]) throws -> PageScan {
        var scan = PageScan()
        func report(_ detail: String) { scan.problems.append(CalibyError.corrupt(path: path, detail: detail).description) }
        let size = try file.size()
        let filePages = size / pageSize
        if size % pageSize != 0 { report("size \(size) is not a multiple of the page size \(pageSize)") }
        if filePages > capacityPages {
            report("the file holds \(filePages) pages, past the layout's \(capacityPages): pages \(capacityPages)-\(filePages - 1) do not belong to the index")
        }
        let isWritten = { (page: Int) in written.contains { $0.contains(page) } }
        let end = min(capacityPages, max(filePages, written.map(\.upperBound).max() ?? 0))
        scan.end = end

        var run: (first: Int, last: Int, problem: String)?
        func flush() {
            guard let (first, last, problem) = run else { return }
            report(first == last ? "page \(first): \(problem)" : "pages \(first)-\(last): \(problem)")
            run = nil
        }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: pageSize, alignment: 16)
        defer { raw.deallocate() }
        for page in 0..<end {
            let problem: String?
            do {
                try read(page) { _ in }
                continue
            } catch let error as CalibyError where error.category == .corrupt {
                problem = try diagnose(page, filePages: filePages, written: isWritten(page), raw: raw, failure: error)
            }
            scan.unreadable.insert(page)
            if let problem {
                scan.foundDamage = true
                if let current = run, current.problem == problem, current.last == page - 1 {
                    run?.last = page
                    continue
                }
                flush()
                run = (page, page, problem)
            }
        }
        flush()
        return scan
    }

    /// Why a page the pool could not read is damaged, or nil when it is a legitimate hole.
    private func diagnose(_ page: Int, filePages: Int, written: Bool, raw: UnsafeMutableRawPointer,
                          failure: CalibyError) throws -> String? {
        guard page < filePages else { return written ? "missing: the file ends at page \(filePages)" : nil }
        let got = try file.read(into: raw, count: pageSize, at: page * pageSize)
        guard got == pageSize else { return "truncated" }
        if !(0..<pageSize).contains(where: { raw.load(fromByteOffset: $0, as: UInt8.self) != 0 }) {
            return written ? "all zeros (never written), where the index has data" : nil
        }
        if let problem = PageTrailer.verify(UnsafeRawPointer(raw), pageSize: pageSize, pageNumber: page) { return problem }
        guard case .corrupt(_, let detail) = failure else { return "\(failure)" }
        return detail
    }
}
