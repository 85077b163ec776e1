/// The problems an integrity check found: each once, in the order found. A check goes on past
/// damage, so a read that throws `corrupt` becomes one more problem (`guarding`) instead of ending
/// it. Past `limit` lines only a count is kept: a file of garbage must not print millions.
final class CheckReport {
    static let limit = 1000
    private(set) var problems: [String] = []
    private var seen = Set<String>()
    private var omitted = 0

    var isEmpty: Bool { problems.isEmpty && omitted == 0 }

    func add(_ problem: String) {
        guard seen.insert(problem).inserted else { return }
        if problems.count < CheckReport.limit { problems.append(problem) } else { omitted += 1 }
    }

    /// Runs `body`; damage it throws is reported, anything else rethrown.
    func guarding(_ body: () throws -> Void) rethrows {
        do {
            try body()
        } catch let error as CalibyError where error.category == .corrupt {
            add(error.description)
        }
    }

    var lines: [String] { problems + (omitted > 0 ? ["… and \(omitted) more problems"] : []) }
}

/// Whether `count` bytes at `offset` are all zero: what a record or entry never allocated holds.
func isZero(_ page: UnsafeRawPointer, offset: Int, count: Int) -> Bool {
    !(offset..<offset + count).contains { page.load(fromByteOffset: $0, as: UInt8.self) != 0 }
}

extension Database {
    /// `caliby check` of one index: every problem found, one line each; empty when sound. Damage
    /// that keeps the index from opening (a catalog entry its layout contradicts, a missing or
    /// misshapen file, an unreadable header) is reported with whatever can be checked without it.
    package func check(_ info: IndexInfo) throws -> [String] {
        let report = CheckReport()
        var opened: PageSpace?
        try report.guarding {
            try checkLayout(of: info)
            opened = try space(for: info)
        }
        guard let space = opened else { return report.lines }
        do {
            return try collection(named: info.name).checkIntegrity()
        } catch let error as CalibyError where error.category == .corrupt {
            report.add(error.description)
            // No counters to go by: only the pages create wrote must be there.
            let scan = try space.verifyEveryPage(written: [info.type.layout(info.config).formattedPages])
            scan.problems.forEach(report.add)
            return report.lines
        }
    }

    /// Index files in the directory that the catalog does not name: left by a create that never
    /// committed. A writer removes them when it opens the directory; a reader leaves them.
    package func unnamedIndexFiles() throws -> [String] {
        let named = Set(listIndexes().flatMap { [$0.fileName] + ($0.documentFileName.map { [$0] } ?? []) })
        return try FileSystem.list(directory).filter { $0.hasPrefix("index_") && !named.contains($0) }.sorted()
    }
}
